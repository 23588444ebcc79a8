import { afterEach, describe, expect, it } from "vitest";
import { cleanEnv, type RunningCli, startCli, waitForHttp } from "../helpers/cli-process.ts";
import { freePort } from "../helpers/free-port.ts";
import { deliverWebhook, type GitHubWorld, startGitHubWorld } from "../helpers/github-world.ts";
import {
  addReviewRoutes,
  BUGGY_MATH,
  DOUBLE_FIXED_MATH,
  MATH_FINDINGS,
  pullRequestPayload,
  submitReviewTurn,
} from "../helpers/review-world.ts";
import { git, pushCommitTo } from "../workspace/helpers/git-repos.ts";

const { tripled, halved } = MATH_FINDINGS;

describe("pull request review, end to end as processes", () => {
  let world: GitHubWorld | undefined;
  let server: RunningCli | undefined;

  afterEach(async () => {
    server?.child.kill("SIGTERM");
    await server?.exited;
    await world?.close();
    server = undefined;
    world = undefined;
  });

  it("reviews an opened pull request, then a push that fixes one finding without repeating the other", {
    timeout: 400_000,
  }, async () => {
    // The first review finds both problems; after the push the model finds only the one left.
    world = await startGitHubWorld({
      fixture: "sum",
      transcript: (conversation) => [submitReviewTurn(conversation === 0 ? [tripled, halved] : [halved])],
    });
    const state = addReviewRoutes(world, "Add math helpers");
    const push = (text: string) => {
      const sha = pushCommitTo(world?.remote ?? "", "feature", "math.js", text);
      git(world?.remote ?? "", "update-ref", "refs/pull/2/head", sha);
      return sha;
    };
    const port = await freePort();
    server = startCli(["serve"], { env: cleanEnv(world.env({ PORT: String(port) })) });
    await waitForHttp(`http://127.0.0.1:${port}/ready`, server, { status: 200 });
    const webhooks = `http://127.0.0.1:${port}/api/github/webhooks`;
    const failWith = (error: Error) => {
      throw new Error(`${error.message}\nserver output:\n${server?.output()}`);
    };

    const first = push(BUGGY_MATH);
    const opened = await deliverWebhook(webhooks, world.webhookSecret, {
      name: "pull_request",
      id: "review-e2e-1",
      payload: pullRequestPayload(world, { action: "opened", number: 2, headSha: first }),
    });
    expect(opened.status).toBe(202);

    // The check run is in progress on the head, then one review with both comments at valid anchors.
    const started = await world.github.waitFor("POST", /\/check-runs$/, 60_000).catch(failWith);
    expect(started.body).toMatchObject({ name: "Loopwright review", head_sha: first, status: "in_progress" });
    await world.github.waitFor("POST", /\/pulls\/2\/reviews$/, 120_000).catch(failWith);
    expect(state.reviews).toHaveLength(1);
    expect(state.reviews[0]).toMatchObject({
      commit_id: first,
      comments: [
        { path: "math.js", start_line: 1, line: 3, side: "RIGHT" },
        { path: "math.js", line: 5, side: "RIGHT" },
      ],
    });
    const completed = await world.github
      .waitFor(
        "PATCH",
        /\/check-runs\/\d+$/,
        60_000,
        (request) => (request.body as { status?: string }).status === "completed",
      )
      .catch(failWith);
    expect(completed.body).toMatchObject({ conclusion: "neutral", output: { title: "2 open findings" } });
    const summary = await world.github.waitFor("POST", /\/issues\/2\/comments$/, 10_000).catch(failWith);
    const summaryBody = (summary.body as { body: string }).body;
    expect(summaryBody).toContain("loopwright:review-summary=2");
    expect(summaryBody).toContain("2 new");

    // The push fixes double(): F1's thread is answered and resolved, F2 is not posted again, the
    // summary is edited in place.
    const second = push(DOUBLE_FIXED_MATH);
    const synchronized = await deliverWebhook(webhooks, world.webhookSecret, {
      name: "pull_request",
      id: "review-e2e-2",
      payload: pullRequestPayload(world, { action: "synchronize", number: 2, headSha: second }),
    });
    expect(synchronized.status).toBe(202);
    const edited = await world.github
      .waitFor("PATCH", /\/issues\/comments\/\d+$/, 120_000, (request) =>
        (request.body as { body: string }).body.includes(`fixed in ${second.slice(0, 7)}`),
      )
      .catch(failWith);
    expect((edited.body as { body: string }).body).toContain("still present");
    await world.github
      .waitFor(
        "PATCH",
        /\/check-runs\/\d+$/,
        60_000,
        (request) => (request.body as { output?: { title?: string } }).output?.title === "1 open finding",
      )
      .catch(failWith);
    expect(state.reviews).toHaveLength(1);
    expect(world.github.requests.filter((request) => /\/pulls\/2\/reviews$/.test(request.path))).toHaveLength(
      1,
    );
    expect(state.comments[0]?.replies).toEqual([expect.stringContaining(`Fixed in ${second.slice(0, 7)}`)]);
    expect(state.threads.map((thread) => thread.isResolved)).toEqual([true, false]);
    expect(
      world.github.requests.filter(
        (request) => /\/issues\/2\/comments$/.test(request.path) && request.method === "POST",
      ),
    ).toHaveLength(1);
  });
});
