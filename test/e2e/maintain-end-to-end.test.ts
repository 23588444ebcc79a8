import { afterEach, describe, expect, it } from "vitest";
import type { RecordedRequest } from "../helpers/fake-github.ts";
import type { FakeModelTurn } from "../helpers/fake-openai.ts";
import { commentPayload, type GitHubWorld, OWNER, REPO, startGitHubWorld } from "../helpers/github-world.ts";
import { type ServeProcess, startServe } from "../helpers/serve-process.ts";
import { examplePayload, INSTALLATION_ID } from "../helpers/webhook-examples.ts";
import { git } from "../workspace/helpers/git-repos.ts";

const REPO_PATH = `/repos/${OWNER}/${REPO}`;
const BRANCH = "agent/maintain-deps";
const CONFIG = `
schedules:
  - name: deps
    cron: "* * * * *"
    prompt: Keep sum() and the notes right.
`;

const usage = { input_tokens: 500, output_tokens: 20, total_tokens: 520 };
const call = (name: string, args: unknown, id: string): FakeModelTurn => ({
  output: [{ type: "function_call", name, arguments: JSON.stringify(args), call_id: id }],
  usage,
});
const say = (text: string): FakeModelTurn => ({
  output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text }] }],
  usage,
});
const patch = (body: string) => ({ input: `*** Begin Patch\n${body}*** End Patch\n` });

/** Each run is a conversation: a change, another change, then nothing to do. */
const runs: FakeModelTurn[][] = [
  [
    call(
      "apply_patch",
      patch(
        "*** Update File: sum.js\n@@\n export function sum(a, b) {\n-  return a - b;\n+  return a + b;\n }\n",
      ),
      "c1",
    ),
    say("Fixed sum to add."),
  ],
  [call("apply_patch", patch("*** Add File: NOTES.md\n+second slot\n"), "c1"), say("Added notes.")],
  [call("noop", { reason: "Nothing is outdated." }, "c1")],
];

/** Issues (the dashboard) and pull request reads, which the fix world does not answer. */
function maintenanceRoutes(world: GitHubWorld): { dashboard: () => string | undefined } {
  const issues = new Map<number, { number: number; title: string; body: string; user: object }>();
  const reply = (status: number, body?: unknown) => ({ status, body });
  world.github.route({
    method: "GET",
    path: /\/contents\/\.github%2Floopwright\.yml$/,
    reply: () => ({
      status: 200,
      body: CONFIG,
      headers: { "content-type": "application/vnd.github.raw; charset=utf-8" },
    }),
  });
  world.github.route({
    method: "GET",
    path: new RegExp(`^${REPO_PATH}/issues$`),
    reply: () => reply(200, [...issues.values()]),
  });
  world.github.route({
    method: "POST",
    path: new RegExp(`^${REPO_PATH}/issues$`),
    reply: (request: RecordedRequest) => {
      const { title, body } = request.body as { title: string; body: string };
      const issue = {
        number: 900 + issues.size,
        title,
        body,
        user: { login: "loopwright[bot]", type: "Bot" },
      };
      issues.set(issue.number, issue);
      return reply(201, issue);
    },
  });
  world.github.route({
    method: "PATCH",
    path: new RegExp(`^${REPO_PATH}/issues/(\\d+)$`),
    reply: (request: RecordedRequest, match: RegExpMatchArray) => {
      const issue = issues.get(Number(match[1]));
      if (!issue) return reply(404, { message: "Not Found" });
      issue.body = (request.body as { body: string }).body;
      return reply(200, issue);
    },
  });
  world.github.route({
    method: "GET",
    path: new RegExp(`^${REPO_PATH}/pulls/(\\d+)$`),
    reply: (_request: RecordedRequest, match: RegExpMatchArray) =>
      reply(200, { number: Number(match[1]), state: "open", merged: false }),
  });
  world.github.route({
    method: "PATCH",
    path: new RegExp(`^${REPO_PATH}/pulls/(\\d+)$`),
    reply: (_request: RecordedRequest, match: RegExpMatchArray) => reply(200, { number: Number(match[1]) }),
  });
  return { dashboard: () => [...issues.values()][0]?.body };
}

describe("scheduled maintenance, end to end as processes", () => {
  let world: GitHubWorld | undefined;
  let server: ServeProcess | undefined;

  afterEach(async () => {
    await server?.stop();
    await world?.close();
    server = undefined;
    world = undefined;
  });

  it("a due slot opens one pull request, the next slot updates it, a noop run only edits the dashboard", {
    timeout: 600_000,
  }, async () => {
    world = await startGitHubWorld({
      fixture: "sum",
      transcript: (conversation) => runs[conversation] ?? [],
    });
    const { dashboard } = maintenanceRoutes(world);
    server = await startServe(world, { LOOPWRIGHT_SCHEDULER_TICK_SECONDS: "1" });
    const failWith = (error: Error) => {
      throw new Error(`${error.message}\nserver output:\n${server?.output()}`);
    };

    // A push that changes the config on the default branch: the schedule is read and the dashboard opened.
    const push = examplePayload("push");
    Object.assign(push, {
      ref: "refs/heads/main",
      installation: { id: INSTALLATION_ID },
      commits: [{ id: "c", added: [], modified: [".github/loopwright.yml"], removed: [] }],
    });
    Object.assign(push.repository, { default_branch: "main", clone_url: world.remote });
    expect((await server.deliver({ name: "push", id: "push-1", payload: push })).status).toBe(202);
    await world.github.waitFor("POST", new RegExp(`^${REPO_PATH}/issues$`), 120_000).catch(failWith);

    // The next minute's slot: one pull request from the schedule's branch.
    const opened = await world.github.waitFor("POST", /\/pulls$/, 180_000).catch(failWith);
    expect(opened.body).toMatchObject({ head: BRANCH, base: "main", title: "deps: Fixed sum to add." });
    expect(git(world.remote, "show", `${BRANCH}:sum.js`)).toContain("return a + b;");

    // The slot after: the branch is replaced by the new result and the same pull request updated.
    await world.github.waitFor("PATCH", /\/pulls\/2$/, 180_000).catch(failWith);
    expect(git(world.remote, "show", `${BRANCH}:NOTES.md`)).toBe("second slot");
    expect(git(world.remote, "show", `${BRANCH}:sum.js`)).toContain("return a - b;");
    expect(
      world.github.requests.filter((request) => request.method === "POST" && /\/pulls$/.test(request.path)),
    ).toHaveLength(1);

    // `/agent run deps` now: nothing to do, which only the dashboard says.
    const commentsBefore = world.github.requests.filter((request) =>
      /\/issues\/\d+\/comments$/.test(request.path),
    ).length;
    const sha = git(world.remote, "rev-parse", BRANCH);
    await server.deliver({
      name: "issue_comment",
      id: "run-1",
      payload: commentPayload(world, "/agent run deps"),
    });
    const edited = await world.github
      .waitFor("PATCH", /\/issues\/900$/, 180_000, (request) =>
        (request.body as { body: string }).body.includes("Nothing is outdated"),
      )
      .catch(failWith);
    expect((edited.body as { body: string }).body).toContain("nothing to do");
    expect(dashboard()).toContain("opened");
    expect(git(world.remote, "rev-parse", BRANCH)).toBe(sha);
    expect(
      world.github.requests.filter((request) => /\/issues\/\d+\/comments$/.test(request.path)),
    ).toHaveLength(commentsBefore);
    expect(
      world.github.requests.filter((request) => request.method === "POST" && /\/pulls$/.test(request.path)),
    ).toHaveLength(1);
  });
});
