import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixTask } from "../../src/tasks/fix.ts";
import { filesContaining, git, installHook } from "../workspace/helpers/git-repos.ts";
import { OWNER, REPO } from "./helpers/github-api.ts";
import { INSTALLATION_TOKEN, openTaskWorld, type TaskWorld, transcript, turn } from "./helpers/task-world.ts";

const BRANCH = "agent/issue-7-sum-subtracts-instead-of-adding";
const PULLS = new RegExp(`^/repos/${OWNER}/${REPO}/pulls$`);
const ISSUE_COMMENTS = /\/issues\/7\/comments$/;

let world: TaskWorld;

beforeEach(async () => {
  world = await openTaskWorld();
  world.github.addIssue(7, "sum() subtracts instead of adding", "`sum(2, 3)` returns -1.");
});

afterEach(async () => {
  expect(world.github.unhandled).toEqual([]);
  nock.cleanAll();
  await world.close();
});

/** The progress comment on issue #7: there must be exactly one. */
function progressComment(): string {
  const bodies = world.github.commentBodies(7);
  expect(bodies).toHaveLength(1);
  return bodies[0] ?? "";
}

/** Edits the task's patch-applying model makes: change `-` to `+` in sum.js. */
const fixSumPatch = {
  input:
    "*** Begin Patch\n*** Update File: sum.js\n@@\n export function sum(a, b) {\n-  return a - b;\n+  return a + b;\n }\n*** End Patch\n",
};

describe("fix task", () => {
  it("fixes the issue, pushes the branch and opens a draft pull request with the step log", async () => {
    const task = await world.createTask();
    const { outcome } = await world.attempt(fixTask, task.id, await transcript("fix-sum"));

    const url = `https://github.com/${OWNER}/${REPO}/pull/100`;
    expect(outcome).toEqual({ status: "succeeded", prUrl: url });

    // The issue thread was read before the model was asked.
    expect(world.github.requestsTo("GET", /\/issues\/7$/)).toHaveLength(1);

    const [create, ...more] = world.github.requestsTo("POST", PULLS);
    expect(more).toEqual([]);
    const pull = create?.body as { head: string; base: string; title: string; body: string; draft: boolean };
    expect(pull).toMatchObject({
      head: BRANCH,
      base: "main",
      title: "Fix #7: sum() subtracts instead of adding",
      draft: true,
    });
    expect(pull.body).toContain(`<!-- loopwright:task=${task.id} -->`);
    expect(pull.body).toContain("Fixes #7");
    expect(pull.body).toContain("Fixed `sum` in sum.js to add its arguments; `node test.js` passes.");
    expect(pull.body).toContain("### Commands run");
    expect(pull.body).toContain("- ❌ `node test.js` (exit 1)");
    expect(pull.body).toContain("- ✅ `node test.js` (exit 0)");
    expect(pull.body).toContain("### Files changed\n\n- `sum.js` (modified)");
    expect(pull.body).toMatch(/<details>\n<summary>Step log \(7 steps, [\d,]+ tokens\)<\/summary>/);
    // Each command's output folds into a block of its own, and every block is closed.
    expect(pull.body).toContain("  <details><summary>output</summary>\n\n  ```text\n  Exit code: 1");
    expect(pull.body).not.toContain("&lt;details>");
    expect(pull.body.split("<details>").length).toBe(pull.body.split("</details>").length);
    expect(pull.body.trimEnd().endsWith("here to ask for changes.</sub>")).toBe(true);

    const reviews = world.github.requestsTo("POST", /\/pulls\/100\/requested_reviewers$/);
    expect(reviews.map((request) => request.body)).toEqual([{ reviewers: ["ann"] }]);

    // One progress comment, posted once and edited to its final state.
    expect(world.github.requestsTo("POST", ISSUE_COMMENTS)).toHaveLength(1);
    const comment = progressComment();
    expect(comment).toContain(`<!-- loopwright:task=${task.id} -->`);
    expect(comment).toContain("✅ Done");
    expect(comment).toContain(`Opened [#100](${url})`);
    expect(comment).not.toContain("stop` to stop");

    // The remote holds the fix, by the App with the requester as co-author.
    expect(git(world.remote, "show", `${BRANCH}:sum.js`)).toContain("return a + b;");
    const message = git(world.remote, "log", "-1", "--format=%an%n%B", BRANCH);
    expect(message).toContain("loopwright[bot]");
    expect(message).toContain("Fix #7: sum() subtracts instead of adding");
    expect(message).toContain("Co-authored-by: ann <ann@users.noreply.github.com>");

    // Side effects and steps are in the store for a retry and the dashboard.
    const stored = await world.task(task.id);
    expect(stored.sideEffects).toMatchObject({ branch: BRANCH, pullRequest: url });
    expect(stored.sideEffects.progressCommentId).toEqual(expect.any(Number));
    expect(stored.tokens).toBeGreaterThan(0);
    const kinds = (await world.steps(task.id)).map((step) => step.kind);
    expect(kinds[0]).toBe("workspace");
    expect(kinds).toContain("tool_call");
    expect(kinds.at(-1)).toBe("push");

    // The installation token went nowhere it could leak.
    const sent = JSON.stringify(world.github.requests.map((request) => request.body));
    expect(sent).not.toContain(INSTALLATION_TOKEN);
    expect(filesContaining(world.root, INSTALLATION_TOKEN)).toEqual([]);
  });

  it("pushes nothing and says why, with the model's answer, when the tree did not change", async () => {
    const task = await world.createTask();
    const { outcome } = await world.attempt(fixTask, task.id, [
      turn.call("read_file", { path: "sum.js" }),
      turn.say("sum.js already adds its arguments on main; there is nothing to fix."),
    ]);

    expect(outcome).toEqual({ status: "succeeded" });
    expect(world.github.requestsTo("POST", PULLS)).toEqual([]);
    expect(git(world.remote, "branch", "--list", "agent/*")).toBe("");
    const comment = progressComment();
    expect(comment).toContain("Finished without changes");
    expect(comment).toContain("without changing any file");
    expect(comment).toContain("already adds its arguments on main");
  });

  it("fails with the hook's words when the remote rejects the push", async () => {
    installHook(world.remote, "pre-receive", 'echo "push blocked: commits must be signed" >&2\nexit 1');
    const task = await world.createTask();
    const { outcome } = await world.attempt(fixTask, task.id, [
      turn.call("apply_patch", fixSumPatch),
      turn.say("Fixed sum."),
    ]);

    expect(outcome.status).toBe("failed");
    expect(outcome.error).toContain("the push was rejected");
    expect(outcome.error).toContain("push blocked: commits must be signed");
    expect(world.github.requestsTo("POST", PULLS)).toEqual([]);
    const comment = progressComment();
    expect(comment).toContain("❌ Failed");
    expect(comment).toContain("push blocked");
    expect(comment).toContain("commits must be signed");
  });

  it("names the workflow files in words when GitHub refuses a push that changes them", async () => {
    installHook(
      world.remote,
      "pre-receive",
      [
        'echo "error: GH013: refusing to allow a GitHub App to create or update workflow \\`.github/workflows/ci.yml\\` without \\`workflows\\` permission" >&2',
        "exit 1",
      ].join("\n"),
    );
    const task = await world.createTask();
    const { outcome } = await world.attempt(fixTask, task.id, [
      turn.call("apply_patch", {
        input: "*** Begin Patch\n*** Add File: .github/workflows/ci.yml\n+on: push\n*** End Patch\n",
      }),
      turn.say("Added CI."),
    ]);

    expect(outcome.status).toBe("failed");
    expect(outcome.error).toContain("changes workflow files (.github/workflows/ci.yml)");
    const comment = progressComment();
    expect(comment).toContain("❌ Failed");
    expect(comment).toContain("workflow files");
    expect(comment).toContain("ci\\.yml");
    expect(world.github.requestsTo("POST", PULLS)).toEqual([]);
  });
});
