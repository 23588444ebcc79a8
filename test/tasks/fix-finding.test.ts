import { describe, expect, it } from "vitest";
import { fixTask } from "../../src/tasks/fix.ts";
import { git, pushCommitTo } from "../workspace/helpers/git-repos.ts";
import { OWNER, REPO } from "./helpers/github-api.ts";
import { transcript, useTaskWorld } from "./helpers/task-world.ts";

const world = useTaskWorld();

describe("fix of a review finding on another pull request", () => {
  it("starts from the pull request's branch and opens a pull request into it", async () => {
    const { github, remote } = world();
    const head = pushCommitTo(remote, "feature", "notes.txt", "notes\n");
    github.addPull({ number: 9, title: "Add notes", head: { ref: "feature", sha: head } });
    const task = await world().createTask({
      number: 9,
      input: {
        instructions: "Fix finding F2 (P1) of Loopwright's review: sum() subtracts\nIn sum.js, line 2.",
        base: { ref: "feature" },
      },
    });
    const { outcome } = await world().attempt(fixTask, task.id, await transcript("fix-sum"));
    expect(outcome).toMatchObject({ status: "succeeded" });

    const [create] = github.requestsTo("POST", new RegExp(`^/repos/${OWNER}/${REPO}/pulls$`));
    const pull = create?.body as { head: string; base: string; title: string; body: string };
    expect(pull.base).toBe("feature");
    expect(pull.head).toMatch(/^agent\/review-fix-9-fix-finding-f2-p1-of-loopwright-s/);
    expect(pull.title).toBe("Fix for #9: Fix finding F2 (P1) of Loopwright's review: sum() subtracts");
    expect(pull.body).not.toContain("Fixes #9");
    // The pushed branch holds the fix on top of the pull request's commit.
    expect(git(remote, "rev-parse", `${pull.head}~1`)).toBe(head);
    expect(git(remote, "show", `${pull.head}:sum.js`)).toContain("return a + b;");
    expect(github.requestsTo("GET", /\/issues\/9$/)).toEqual([]);
  });
});
