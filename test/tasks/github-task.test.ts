import { describe, expect, it } from "vitest";
import { fixTask } from "../../src/tasks/fix.ts";
import { filesContaining, git, installHook, pushCommitTo } from "../workspace/helpers/git-repos.ts";
import { OWNER, REPO } from "./helpers/github-api.ts";
import {
  FIX_SUM_PATCH,
  INSTALLATION_TOKEN,
  ISSUE,
  transcript,
  turn,
  useTaskWorld,
} from "./helpers/task-world.ts";

const PULLS = new RegExp(`^/repos/${OWNER}/${REPO}/pulls$`);
const ISSUE_COMMENTS = /\/issues\/7\/comments$/;

const world = useTaskWorld();

describe("fix task", () => {
  it("fixes the issue, pushes the branch and opens a draft pull request with the step log", async () => {
    const { github, remote } = world();
    const task = await world().createTask();
    const { outcome } = await world().attempt(fixTask, task.id, await transcript("fix-sum"));

    const url = `https://github.com/${OWNER}/${REPO}/pull/100`;
    expect(outcome).toEqual({ status: "succeeded", prUrl: url });

    // The issue thread was read before the model was asked.
    expect(github.requestsTo("GET", /\/issues\/7$/)).toHaveLength(1);

    const [create, ...more] = github.requestsTo("POST", PULLS);
    expect(more).toEqual([]);
    const pull = create?.body as { head: string; base: string; title: string; body: string; draft: boolean };
    expect(pull).toMatchObject({
      head: ISSUE.branch,
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

    const reviews = github.requestsTo("POST", /\/pulls\/100\/requested_reviewers$/);
    expect(reviews.map((request) => request.body)).toEqual([{ reviewers: ["ann"] }]);

    // One progress comment, posted once and edited to its final state.
    expect(github.requestsTo("POST", ISSUE_COMMENTS)).toHaveLength(1);
    const comment = world().progressComment();
    expect(comment).toContain(`<!-- loopwright:task=${task.id} -->`);
    expect(comment).toContain("✅ Done");
    expect(comment).toContain(`Opened [#100](${url})`);
    expect(comment).not.toContain("stop` to stop");

    // The remote holds the fix, by the App with the requester as co-author.
    expect(git(remote, "show", `${ISSUE.branch}:sum.js`)).toContain("return a + b;");
    const message = git(remote, "log", "-1", "--format=%an%n%B", ISSUE.branch);
    expect(message).toContain("loopwright[bot]");
    expect(message).toContain("Fix #7: sum() subtracts instead of adding");
    expect(message).toContain("Co-authored-by: ann <ann@users.noreply.github.com>");

    // Side effects and steps are in the store for a retry and the dashboard.
    const stored = await world().task(task.id);
    expect(stored.sideEffects).toMatchObject({ branch: ISSUE.branch, pullRequest: url });
    expect(stored.sideEffects.progressCommentId).toEqual(expect.any(Number));
    expect(stored.tokens).toBeGreaterThan(0);
    const kinds = (await world().steps(task.id)).map((step) => step.kind);
    expect(kinds[0]).toBe("workspace");
    expect(kinds).toContain("tool_call");
    expect(kinds.at(-1)).toBe("push");

    // The installation token went nowhere it could leak.
    expect(JSON.stringify(github.requests.map((request) => request.body))).not.toContain(INSTALLATION_TOKEN);
    expect(filesContaining(world().root, INSTALLATION_TOKEN)).toEqual([]);
  });

  it("pushes nothing and says why, with the model's answer, when the tree did not change", async () => {
    const task = await world().createTask();
    const { outcome } = await world().attempt(fixTask, task.id, [
      turn.call("read_file", { path: "sum.js" }),
      turn.say("sum.js already adds its arguments on main; there is nothing to fix."),
    ]);

    expect(outcome).toEqual({ status: "succeeded" });
    expect(world().github.requestsTo("POST", PULLS)).toEqual([]);
    expect(git(world().remote, "branch", "--list", "agent/*")).toBe("");
    const comment = world().progressComment();
    expect(comment).toContain("Finished without changes");
    expect(comment).toContain("without changing any file");
    expect(comment).toContain("already adds its arguments on main");
  });

  it("fails with the hook's words when the remote rejects the push", async () => {
    installHook(world().remote, "pre-receive", 'echo "push blocked: commits must be signed" >&2\nexit 1');
    const task = await world().createTask();
    const { outcome } = await world().attempt(fixTask, task.id, [
      turn.call("apply_patch", FIX_SUM_PATCH),
      turn.say("Fixed sum."),
    ]);

    expect(outcome.status).toBe("failed");
    expect(outcome.error).toContain("the push was rejected");
    expect(outcome.error).toContain("push blocked: commits must be signed");
    expect(world().github.requestsTo("POST", PULLS)).toEqual([]);
    const comment = world().progressComment();
    expect(comment).toContain("❌ Failed");
    expect(comment).toContain("push blocked");
    expect(comment).toContain("commits must be signed");
  });

  it("names the workflow files in words when GitHub refuses a push that changes them", async () => {
    installHook(
      world().remote,
      "pre-receive",
      [
        'echo "error: GH013: refusing to allow a GitHub App to create or update workflow \\`.github/workflows/ci.yml\\` without \\`workflows\\` permission" >&2',
        "exit 1",
      ].join("\n"),
    );
    const task = await world().createTask();
    const { outcome } = await world().attempt(fixTask, task.id, [
      turn.call("apply_patch", {
        input: "*** Begin Patch\n*** Add File: .github/workflows/ci.yml\n+on: push\n*** End Patch\n",
      }),
      turn.say("Added CI."),
    ]);

    expect(outcome.status).toBe("failed");
    expect(outcome.error).toContain("changes workflow files (.github/workflows/ci.yml)");
    const comment = world().progressComment();
    expect(comment).toContain("❌ Failed");
    expect(comment).toContain("workflow files");
    expect(comment).toContain("ci\\.yml");
    expect(world().github.requestsTo("POST", PULLS)).toEqual([]);
  });

  it("keeps the task's branch and pull request across a retry: force-pushed, updated, never duplicated", async () => {
    const { github, remote } = world();
    const task = await world().createTask();
    const first = await world().attempt(fixTask, task.id, await transcript("fix-sum"));
    expect(first.outcome.status).toBe("succeeded");
    const firstSha = git(remote, "rev-parse", ISSUE.branch);
    const commentId = (await world().task(task.id)).sideEffects.progressCommentId;

    // The worker died before recording the outcome; another claims attempt 2, whose model goes another way.
    const second = await world().attempt(fixTask, task.id, [
      turn.call("apply_patch", FIX_SUM_PATCH),
      turn.call("apply_patch", {
        input: "*** Begin Patch\n*** Add File: NOTES.md\n+sum adds.\n*** End Patch\n",
      }),
      turn.say("Made sum add and wrote a note."),
    ]);
    expect(second.context.task.attempt).toBe(2);
    expect(second.outcome).toEqual(first.outcome);

    // The same comment, found by its marker, edited; the same pull request, updated.
    expect(github.requestsTo("POST", ISSUE_COMMENTS)).toHaveLength(1);
    expect(github.requestsTo("PATCH", new RegExp(`/issues/comments/${commentId}$`)).length).toBeGreaterThan(
      1,
    );
    expect(world().progressComment()).toContain("Opened [#100]");
    expect(github.requestsTo("POST", PULLS)).toHaveLength(1);
    const [update, ...moreUpdates] = github.requestsTo("PATCH", /\/pulls\/100$/);
    expect(moreUpdates).toEqual([]);
    const updated = (update?.body as { body?: string } | undefined)?.body;
    expect(updated).toContain("Made sum add and wrote a note.");
    expect(updated).toContain("`NOTES.md` (added)");
    expect(github.requestsTo("POST", /requested_reviewers$/)).toHaveLength(1);

    // The branch this task made was replaced (forced), not extended, and kept its name.
    const secondSha = git(remote, "rev-parse", ISSUE.branch);
    expect(secondSha).not.toBe(firstSha);
    expect(git(remote, "rev-parse", `${ISSUE.branch}^`)).toBe(git(remote, "rev-parse", "main"));
    expect(git(remote, "branch", "--list", "agent/*")).toBe(ISSUE.branch);
  });

  it("leaves someone else's branch of the same name alone and pushes its own beside it", async () => {
    const { remote } = world();
    const theirs = pushCommitTo(remote, ISSUE.branch, "theirs.txt", "someone's work\n");
    const task = await world().createTask();
    const { outcome } = await world().attempt(fixTask, task.id, [
      turn.call("apply_patch", FIX_SUM_PATCH),
      turn.say("Made sum add."),
    ]);

    expect(outcome.status).toBe("succeeded");
    const own = `${ISSUE.branch}-${task.id}`;
    expect(git(remote, "rev-parse", ISSUE.branch)).toBe(theirs);
    expect(git(remote, "show", `${own}:sum.js`)).toContain("return a + b;");
    expect(
      world()
        .github.requestsTo("POST", PULLS)
        .map((request) => (request.body as { head: string }).head),
    ).toEqual([own]);
    expect((await world().task(task.id)).sideEffects.branch).toBe(own);
  });
});
