import { afterEach, describe, expect, it } from "vitest";
import { commentPayload, type GitHubWorld, startGitHubWorld } from "../helpers/github-world.ts";
import { type ServeProcess, startServe } from "../helpers/serve-process.ts";
import { filesContaining, git } from "../workspace/helpers/git-repos.ts";

describe("/agent fix, end to end as processes", () => {
  let world: GitHubWorld | undefined;
  let server: ServeProcess | undefined;

  afterEach(async () => {
    await server?.stop();
    await world?.close();
    server = undefined;
    world = undefined;
  });

  it("turns a signed issue comment into a pushed branch and a pull request with the step log", {
    timeout: 400_000,
  }, async () => {
    world = await startGitHubWorld({ fixture: "sum", transcript: "fix-sum" });
    server = await startServe(world);

    const response = await server.deliver({
      name: "issue_comment",
      id: "e2e-delivery-1",
      payload: commentPayload(world, "/agent fix"),
    });
    expect(response.status).toBe(202);

    const created = await world.github.waitFor("POST", /\/pulls$/, 300_000).catch((error: Error) => {
      throw new Error(`${error.message}\nserver output:\n${server?.output()}`);
    });
    const pull = created.body as { head: string; base: string; title: string; body: string; draft: boolean };
    expect(pull.base).toBe("main");
    expect(pull.head).toMatch(/^agent\/issue-1-sum-subtracts-instead-of-adding$/);
    expect(pull.draft).toBe(true);
    expect(pull.title).toBe("Fix #1: sum() subtracts instead of adding");
    expect(pull.body).toContain("Fixes #1");
    expect(pull.body).toContain("<details>");
    expect(pull.body).toContain("node test.js");

    // The remote holds the branch with the fix, committed by the App with the requester as co-author.
    const fixed = git(world.remote, "show", `${pull.head}:sum.js`);
    expect(fixed).toContain("return a + b;");
    const message = git(world.remote, "log", "-1", "--format=%an%n%B", pull.head);
    expect(message).toContain("loopwright[bot]");
    expect(message).toContain("Co-authored-by: Codertocat <Codertocat@users.noreply.github.com>");

    // The model saw the issue as untrusted data, without the hidden comment.
    const firstRequest = JSON.stringify(world.openai.requests[0]);
    expect(firstRequest).toContain("sum() subtracts instead of adding");
    expect(firstRequest).toContain("UNTRUSTED GITHUB CONTENT");
    expect(firstRequest).not.toContain("ignore all rules");

    // The progress comment ends with the pull request link; the triggering comment got 👀.
    await world.github.waitFor("POST", /\/pulls\/\d+\/requested_reviewers$/);
    const finalEdit = await world.github.waitFor("PATCH", /\/issues\/comments\/1000$/, 10_000, (request) =>
      (request.body as { body: string }).body.includes("Done"),
    );
    expect((finalEdit.body as { body: string }).body).toContain("Opened [#2]");
    expect(world.github.requests.some((request) => request.path.endsWith("/reactions"))).toBe(true);

    // The installation token never lands on disk.
    expect(filesContaining(world.root, "ghs_e2eInstallationToken0123456789")).toEqual([]);
  });
});
