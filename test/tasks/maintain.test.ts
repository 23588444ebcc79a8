import { describe, expect, it } from "vitest";
import { git, pushCommitTo } from "../workspace/helpers/git-repos.ts";
import { OWNER, REPO } from "./helpers/github-api.ts";
import { useMaintenanceWorld } from "./helpers/maintenance-world.ts";
import { FIX_SUM_PATCH, turn } from "./helpers/task-world.ts";

const PULLS = new RegExp(`^/repos/${OWNER}/${REPO}/pulls$`);
const BRANCH = "agent/maintain-deps";
const NOTES_PATCH = (text: string) => ({
  input: `*** Begin Patch\n*** Add File: NOTES.md\n+${text}\n*** End Patch\n`,
});

const fixSum = () => [turn.call("apply_patch", FIX_SUM_PATCH), turn.say("Fixed sum to add its arguments.")];
const addNotes = (text: string) => [
  turn.call("apply_patch", NOTES_PATCH(text)),
  turn.say(`Wrote notes: ${text}.`),
];

const world = useMaintenanceWorld();

const DEPS = { name: "deps", cron: "0 4 * * 1", prompt: "Keep sum() right." };

describe("maintain task", () => {
  it("opens one pull request with labels, reviewers and the step log, and lists the run on the dashboard", async () => {
    const { github, remote } = world();
    await world().configure({ schedules: [{ ...DEPS, labels: ["maintenance"], reviewers: ["ann", "bob"] }] });
    const { outcome, run } = await world().run("deps", fixSum());

    const url = `https://github.com/${OWNER}/${REPO}/pull/100`;
    expect(outcome).toEqual({ status: "succeeded", prUrl: url });
    expect(run).toMatchObject({ outcome: "pr_opened", prUrl: url, trigger: "run_now" });
    const [create, ...more] = github.requestsTo("POST", PULLS);
    expect(more).toEqual([]);
    const body = create?.body as { head: string; base: string; title: string; body: string };
    expect(body).toMatchObject({
      head: BRANCH,
      base: "main",
      title: "deps: Fixed sum to add its arguments.",
    });
    expect(body.body).toContain("Scheduled maintenance **deps**");
    expect(body.body).toContain("<!-- loopwright:schedule=deps -->");
    expect(body.body).toContain("### Files changed\n\n- `sum.js` (modified)");
    expect(body.body).toMatch(/<summary>Step log/);
    expect(github.requestsTo("POST", /\/issues\/100\/labels$/).map((request) => request.body)).toEqual([
      { labels: ["maintenance"] },
    ]);
    expect(
      github.requestsTo("POST", /\/pulls\/100\/requested_reviewers$/).map((request) => request.body),
    ).toEqual([{ reviewers: ["ann"] }, { reviewers: ["bob"] }]);

    expect(git(remote, "show", `${BRANCH}:sum.js`)).toContain("return a + b;");
    const schedule = await world().schedule("deps");
    expect(schedule).toMatchObject({ prNumber: 100, prUrl: url, branch: BRANCH, branchOnlyOurs: true });
    expect(schedule.branchSha).toBe(git(remote, "rev-parse", BRANCH));
    expect(schedule.patchId).toMatch(/^[0-9a-f]{64}$/);

    const dashboard = world().dashboard();
    expect(dashboard).toContain("<!-- loopwright:maintenance=dashboard -->");
    expect(dashboard).toContain("### deps");
    expect(dashboard).toContain("At 04:00, only on Monday (UTC)");
    expect(dashboard).toContain(`✅ opened [pull request](${url})`);
    expect(dashboard).toContain("- [ ] Run now <!-- loopwright:run-now=deps -->");
    expect(dashboard).toContain("- [ ] Pause <!-- loopwright:pause=deps -->");
    expect(dashboard).toMatch(/\| 2\d\d \|$/m);
  });

  it("replaces its own branch on the current default branch and updates the same pull request", async () => {
    const { github, remote } = world();
    await world().configure({ schedules: [DEPS] });
    await world().run("deps", fixSum());
    const mainHead = pushCommitTo(remote, "main", "README.md", "moved on\n");

    const { run } = await world().run("deps", addNotes("second run"));

    expect(run.outcome).toBe("pr_updated");
    expect(github.requestsTo("POST", PULLS)).toHaveLength(1);
    expect(github.requestsTo("PATCH", /\/pulls\/100$/)).toHaveLength(1);
    // One commit, on the current main: the first run's change is gone, replaced by the second's.
    expect(git(remote, "rev-parse", `${BRANCH}^`)).toBe(mainHead);
    expect(git(remote, "show", `${BRANCH}:NOTES.md`)).toBe("second run");
    expect(git(remote, "show", `${BRANCH}:sum.js`)).toContain("return a - b;");
    expect((await world().schedule("deps")).branchSha).toBe(git(remote, "rev-parse", BRANCH));
  });

  it("puts new commits on top once a person pushed to the branch, and never replaces it again", async () => {
    const { remote } = world();
    await world().configure({ schedules: [DEPS] });
    await world().run("deps", fixSum());
    const human = pushCommitTo(remote, BRANCH, "HUMAN.md", "mine\n");

    const second = await world().run("deps", addNotes("on top"));
    expect(second.run.outcome).toBe("pr_updated");
    expect(git(remote, "rev-parse", `${BRANCH}^`)).toBe(human);
    expect(git(remote, "show", `${BRANCH}:sum.js`)).toContain("return a + b;");
    expect(git(remote, "show", `${BRANCH}:NOTES.md`)).toBe("on top");
    expect((await world().schedule("deps")).branchOnlyOurs).toBe(false);

    // Loopwright pushed last, but the branch still holds the person's commit: on top again.
    const before = git(remote, "rev-parse", BRANCH);
    const third = await world().run("deps", [
      turn.call("apply_patch", { input: "*** Begin Patch\n*** Add File: MORE.md\n+more\n*** End Patch\n" }),
      turn.say("More."),
    ]);
    expect(third.run.outcome).toBe("pr_updated");
    expect(git(remote, "rev-parse", `${BRANCH}^`)).toBe(before);
    expect(git(remote, "rev-list", "--count", `main..${BRANCH}`)).toBe("4");
  });

  it("ends a noop run without a branch or pull request: the reason goes to the dashboard only", async () => {
    const { github, remote } = world();
    await world().configure({ schedules: [DEPS] });
    const first = await world().run("deps", [
      turn.call("apply_patch", NOTES_PATCH("scratch")),
      turn.call("noop", { reason: "Every dependency is current." }),
    ]);
    expect(first.outcome).toEqual({ status: "succeeded" });
    expect(first.run).toMatchObject({ outcome: "noop", reason: "Every dependency is current." });
    await world().run("deps", [turn.call("noop", { reason: "Still current." })]);

    expect(github.requestsTo("POST", PULLS)).toEqual([]);
    expect(git(remote, "branch", "--list", "agent/*")).toBe("");
    expect(github.requestsTo("POST", /\/issues$/)).toHaveLength(1);
    expect(github.requestsTo("POST", /\/issues\/\d+\/comments$/)).toEqual([]);
    const dashboard = world().dashboard();
    expect(dashboard).toContain("💤 nothing to do: Every dependency is current.");
    expect(dashboard).toContain("💤 nothing to do: Still current.");
  });

  it("does not offer again a change people closed unmerged; a different change opens a new pull request", async () => {
    const { github } = world();
    await world().configure({ schedules: [DEPS] });
    await world().run("deps", fixSum());
    const pull = github.pulls[0];
    if (pull) pull.state = "closed";

    const same = await world().run("deps", fixSum());
    expect(same.run.outcome).toBe("unchanged");
    expect(same.run.reason).toContain("closed without merging");
    expect(github.requestsTo("POST", PULLS)).toHaveLength(1);
    expect(await world().schedule("deps")).toMatchObject({ closedStreak: 1, prNumber: null });

    const different = await world().run("deps", addNotes("something else"));
    expect(different.run.outcome).toBe("pr_opened");
    expect(github.requestsTo("POST", PULLS)).toHaveLength(2);
    expect((await world().schedule("deps")).prNumber).toBe(101);
  });

  it("does not push the same change again to its open pull request (no rebase storm)", async () => {
    const { github, remote } = world();
    await world().configure({ schedules: [DEPS] });
    await world().run("deps", fixSum());
    const pushed = git(remote, "rev-parse", BRANCH);
    const again = await world().run("deps", fixSum());
    expect(again.run.outcome).toBe("unchanged");
    expect(git(remote, "rev-parse", BRANCH)).toBe(pushed);
    expect(github.requestsTo("PATCH", /\/pulls\/100$/)).toEqual([]);
  });

  it("skips over the open pull request cap and the hourly cap, saying why on the dashboard", async () => {
    await world().configure({
      maintenance: { max_open_prs: 1 },
      schedules: [DEPS, { name: "docs", cron: "0 6 * * *", prompt: "Notes." }],
    });
    await world().run("deps", fixSum());
    const capped = await world().run("docs", addNotes("never"));
    expect(capped.run).toMatchObject({
      outcome: "skipped",
      reason: "1 maintenance pull requests are open already (maintenance.max_open_prs is 1)",
    });
    // The schedule that owns the open pull request may still update it, until the hourly cap.
    const hourly = await world().run("deps", addNotes("never"), { hourlyCap: 1 });
    expect(hourly.run.outcome).toBe("skipped");
    expect(hourly.run.reason).toMatch(/ran 1 maintenance tasks in the last hour \(the server allows 1\)/);
    const dashboard = world().dashboard();
    expect(dashboard).toContain("⏭️ skipped: 1 maintenance pull requests are open already");
    expect(world().github.requestsTo("POST", PULLS)).toHaveLength(1);
  });

  it("pauses a schedule after pause_after pull requests in a row were closed unmerged", async () => {
    const { github } = world();
    await world().configure({ maintenance: { pause_after: 1 }, schedules: [DEPS] });
    await world().run("deps", fixSum(), { trigger: "schedule" });
    const pull = github.pulls[0];
    if (pull) pull.state = "closed";

    const { run } = await world().run("deps", addNotes("never"), { trigger: "schedule" });
    expect(run.outcome).toBe("skipped");
    expect(run.reason).toContain("paused after 1 pull requests in a row were closed without merging");
    expect(await world().schedule("deps")).toMatchObject({ paused: true });
    const dashboard = world().dashboard();
    expect(dashboard).toContain("**paused**");
    expect(dashboard).toContain("- [x] Pause <!-- loopwright:pause=deps -->");
  });

  it("never touches a branch holding commits it did not push when no pull request of it is open", async () => {
    const { remote, github } = world();
    await world().configure({ schedules: [DEPS] });
    const theirs = pushCommitTo(remote, BRANCH, "THEIRS.md", "not Loopwright's\n");
    const { run } = await world().run("deps", fixSum());
    expect(run.outcome).toBe("skipped");
    expect(run.reason).toContain(`branch ${BRANCH} holds commits Loopwright did not push`);
    expect(git(remote, "rev-parse", BRANCH)).toBe(theirs);
    expect(github.requestsTo("POST", PULLS)).toEqual([]);
  });
});
