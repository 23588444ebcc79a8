import { describe, expect, it } from "vitest";
import { iterateTask } from "../../src/tasks/iterate.ts";
import { git, pushCommitTo } from "../workspace/helpers/git-repos.ts";
import { FIX_SUM_PATCH, turn, useTaskWorld } from "./helpers/task-world.ts";

const HEAD = "agent/issue-7-sum";
const PULL = 12;

const world = useTaskWorld();

/** Loopwright's pull request #12 from `agent/issue-7-sum`, one commit ahead of main, and an iterate task on it. */
async function iterateOnOwnPull() {
  const sha = pushCommitTo(world().remote, HEAD, "notes.txt", "first try\n");
  world().github.addPull({ number: PULL, title: "Fix #7: sum() subtracts", head: { ref: HEAD, sha } });
  const task = await world().createTask({
    kind: "iterate",
    number: PULL,
    input: { instructions: "Make sum add, please.", head: { ref: HEAD, sha } },
  });
  return { sha, task };
}

describe("iterate task", () => {
  it("pushes a new commit on top of its own pull request's branch and says what changed", async () => {
    const { sha, task } = await iterateOnOwnPull();
    const { outcome } = await world().attempt(iterateTask, task.id, [
      turn.call("apply_patch", FIX_SUM_PATCH),
      turn.say("Made sum add its arguments."),
    ]);

    expect(outcome).toEqual({ status: "succeeded" });
    const remote = world().remote;
    const head = git(remote, "rev-parse", HEAD);
    expect(git(remote, "rev-parse", `${HEAD}^`)).toBe(sha);
    expect(git(remote, "show", `${HEAD}:notes.txt`)).toBe("first try");
    expect(git(remote, "show", `${HEAD}:sum.js`)).toContain("return a + b;");
    expect(git(remote, "log", "-1", "--format=%B", HEAD)).toContain("Requested by @ann on #12.");

    // The pull request and its diff were read; nothing was opened or edited there.
    expect(world().github.requestsTo("GET", /\/pulls\/12$/)).toHaveLength(2);
    expect(world().github.requestsTo("POST", /\/pulls$/)).toEqual([]);
    expect(world().github.requestsTo("PATCH", /\/pulls\/12$/)).toEqual([]);
    const comment = world().progressComment(PULL);
    expect(comment).toContain("✅ Done · changes to this pull request");
    expect(comment).toContain("Pushed new commits to this pull request.");
    expect(comment).toContain(`Commit ${head.slice(0, 7)} changes sum\\.js\\: Made sum add its arguments\\.`);
    expect((await world().task(task.id)).sideEffects.branch).toBeUndefined();
  });

  it("never force-pushes: when someone pushed to the branch meanwhile, it fails and keeps their commit", async () => {
    const { task } = await iterateOnOwnPull();
    let theirs = "";
    const { outcome } = await world().attempt(
      iterateTask,
      task.id,
      [turn.call("apply_patch", FIX_SUM_PATCH), turn.say("Made sum add.")],
      {
        beforeTurn(index) {
          if (index === 1) theirs = pushCommitTo(world().remote, HEAD, "theirs.txt", "a reviewer's fix\n");
        },
      },
    );

    expect(outcome.status).toBe("failed");
    expect(outcome.error).toContain(`${HEAD} changed on GitHub since this task started`);
    expect(git(world().remote, "rev-parse", HEAD)).toBe(theirs);
    const comment = world().progressComment(PULL);
    expect(comment).toContain("❌ Failed");
    expect(comment).toContain("would overwrite their commits");
  });

  it("fails in words when the task does not say which branch to work on", async () => {
    world().github.addPull({ number: PULL, title: "x", head: { ref: HEAD, sha: "0".repeat(40) } });
    const task = await world().createTask({ kind: "iterate", number: PULL });
    const { outcome } = await world().attempt(iterateTask, task.id, []);

    expect(outcome).toEqual({
      status: "failed",
      error: "the task does not say which pull request branch to work on",
    });
    expect(world().progressComment(PULL)).toContain("❌ Failed");
  });
});
