import { describe, expect, it } from "vitest";
import { GITHUB_BODY_LIMIT } from "../../src/github/markdown.ts";
import { addTokens, createTask } from "../../src/store/tasks.ts";
import { fixTask } from "../../src/tasks/fix.ts";
import { TaskAbortedError } from "../../src/worker/task-handler.ts";
import { git } from "../workspace/helpers/git-repos.ts";
import { OWNER, REPO } from "./helpers/github-api.ts";
import { FIX_SUM_PATCH, ISSUE, transcript, turn, useTaskWorld } from "./helpers/task-world.ts";

const PULLS = new RegExp(`^/repos/${OWNER}/${REPO}/pulls$`);

const world = useTaskWorld();

describe("how a fix task ends when it does not open a pull request", () => {
  it("stops within seconds on /agent stop while a slow command runs, and says so", async () => {
    const controller = new AbortController();
    let abortedAt = 0;
    const task = await world().createTask();
    const { outcome } = await world().attempt(fixTask, task.id, await transcript("slow-command"), {
      controller,
      beforeTurn(index) {
        // The command (sleep 30) starts right after the first turn; stop it once it runs.
        if (index === 0) {
          setTimeout(() => {
            abortedAt = Date.now();
            controller.abort(new TaskAbortedError("cancelled"));
          }, 1_500);
        }
      },
    });

    expect(abortedAt).toBeGreaterThan(0);
    expect(Date.now() - abortedAt).toBeLessThan(30_000);
    expect(outcome.status).toBe("cancelled");
    const comment = world().progressComment();
    expect(comment).toContain("⏹️ Stopped");
    expect(comment).not.toContain("stop` to stop");
    expect(world().github.requestsTo("POST", PULLS)).toEqual([]);
    expect(git(world().remote, "branch", "--list", "agent/*")).toBe("");
  });

  it("hands the task back on a worker shutdown, leaving the comment running for the retry", async () => {
    const controller = new AbortController();
    const task = await world().createTask();
    const attempt = world().attempt(fixTask, task.id, await transcript("slow-command"), {
      controller,
      beforeTurn(index) {
        if (index === 0) setTimeout(() => controller.abort(new TaskAbortedError("shutdown")), 1_000);
      },
    });

    await expect(attempt).rejects.toMatchObject({ reason: "shutdown" });
    expect(world().progressComment()).toContain("🔄 Working");
  });

  it("stops when the repository's daily token budget is used up, and says so", async () => {
    const { db } = world();
    // Another task of the repository spent most of today's budget.
    const { task: earlier } = await createTask(db, {
      kind: "review",
      repository: `${OWNER}/${REPO}`,
      trigger: "cli",
    });
    await addTokens(db, earlier.id, 950);
    const task = await world().createTask({ input: { config: { budget: { daily_tokens: 1000 } } } });
    const { outcome } = await world().attempt(fixTask, task.id, [
      turn.call("shell", { command: "node test.js" }),
      turn.say("unreachable"),
    ]);

    expect(outcome).toEqual({
      status: "budget_exhausted",
      error:
        "stopped: the repository's daily token budget of 1,000 tokens was used up (it resets at midnight UTC; budget.daily_tokens in .github/loopwright.yml sets it)",
    });
    expect((await world().task(task.id)).tokens).toBe(110);
    const comment = world().progressComment();
    expect(comment).toContain("⏹️ Stopped");
    expect(comment).toContain("daily token budget of 1,000 tokens was used up");
    expect(comment).not.toContain("stop` to stop");
    expect(world().github.requestsTo("POST", PULLS)).toEqual([]);
  });

  it("stops before any model turn when the daily budget is already used up", async () => {
    const task = await world().createTask({ input: { config: { budget: { daily_tokens: 1000 } } } });
    await addTokens(world().db, task.id, 1000);
    const { outcome } = await world().attempt(fixTask, task.id, []);

    expect(outcome.status).toBe("budget_exhausted");
    expect(outcome.error).toContain("daily token budget of 1,000 tokens was used up");
    expect(world().progressComment()).toContain("⏹️ Stopped");
    expect(await world().steps(task.id)).toEqual([]);
  });

  it("fails with the model's error and what was tried when the model stops answering", async () => {
    const task = await world().createTask();
    const { outcome } = await world().attempt(fixTask, task.id, [
      turn.call("apply_patch", FIX_SUM_PATCH),
      turn.call("shell", { command: ["node", "test.js"] }),
    ]);

    expect(outcome.status).toBe("failed");
    expect(outcome.error).toContain("The model call failed (replay_exhausted)");
    const comment = world().progressComment();
    expect(comment).toContain("❌ Failed");
    expect(comment).toContain("replay\\_exhausted");
    expect(comment).toContain("**What was tried**");
    expect(comment).toMatch(/- `step 1 · apply_patch sum\.js → ok \([^)]+\)`/);
    expect(comment).toMatch(/- `step 2 · shell node test\.js → exit 0 \([^)]+\)`/);
    expect(world().github.requestsTo("POST", PULLS)).toEqual([]);
    expect(git(world().remote, "branch", "--list", "agent/*")).toBe("");
  });

  it("ends budget_exhausted, saying which budget and what was tried, when the steps run out", async () => {
    const task = await world().createTask({ input: { config: { budget: { max_steps: 1 } } } });
    const { outcome } = await world().attempt(fixTask, task.id, [
      turn.call("shell", { command: "node test.js" }),
      turn.say("unreachable"),
    ]);

    expect(outcome).toEqual({
      status: "budget_exhausted",
      error: "Stopped: the step budget (1 model turns) is used up; 1 tool calls ran.",
    });
    const comment = world().progressComment();
    expect(comment).toContain("❌ Failed");
    expect(comment).toContain("step budget \\(1 model turns\\) is used up");
    expect(comment).toMatch(/- `step 1 · shell node test\.js → exit 1 \([^)]+\)`/);
    expect(world().github.requestsTo("POST", PULLS)).toEqual([]);
  });

  it("fails with a clear message, touching nothing, when the task input is malformed", async () => {
    const task = await world().createTask({ input: { cloneUrl: 42, instructions: undefined } });
    const { outcome } = await world().attempt(fixTask, task.id, []);

    expect(outcome.status).toBe("failed");
    expect(outcome.error).toContain(`task ${task.id} has malformed input`);
    expect(outcome.error).toContain("cloneUrl");
    expect(outcome.error).toContain("instructions");
    expect(world().github.requests).toEqual([]);

    const orphan = await world().createTask({ installationId: null, number: 8 });
    const second = await world().attempt(fixTask, orphan.id, []);
    expect(second.outcome).toEqual({
      status: "failed",
      error: `task ${orphan.id} has malformed input: no installation, issue number or owner/name repository`,
    });
  });

  it("fails with GitHub's reason, naming the pushed branch, when the pull request cannot be opened", async () => {
    world().github.fail("POST", PULLS, 422, {
      message: "Validation Failed",
      errors: [{ resource: "PullRequest", code: "custom", message: "Base branch was modified" }],
    });
    const task = await world().createTask();
    const { outcome } = await world().attempt(fixTask, task.id, [
      turn.call("apply_patch", FIX_SUM_PATCH),
      turn.say("Made sum add."),
    ]);

    expect(outcome.status).toBe("failed");
    expect(outcome.error).toContain("GitHub rejected it (422): Validation Failed; Base branch was modified");
    expect(outcome.error).toContain(`pushed to branch ${ISSUE.branch}`);
    const comment = world().progressComment();
    expect(comment).toContain("❌ Failed");
    expect(comment).toContain("Base branch was modified");
    expect(comment).toContain("pushed to branch agent/issue\\-7\\-sum");
    expect(git(world().remote, "show", `${ISSUE.branch}:sum.js`)).toContain("return a + b;");
  });

  it("fails in words when GitHub errors while the issue is read", async () => {
    world().github.fail("GET", /\/issues\/7$/, 503, { message: "Service Unavailable" });
    const task = await world().createTask();
    const { outcome } = await world().attempt(fixTask, task.id, []);

    expect(outcome).toEqual({
      status: "failed",
      error: "Could not read issue #7: GitHub had an error (503): Service Unavailable",
    });
    expect(world().progressComment()).toContain("GitHub had an error \\(503\\)");
  });

  it("keeps the pull request body within GitHub's limit, its step log closed, when the log is huge", async () => {
    // Output that tries to close the step log, open a fence and ping someone (octal escapes keep the
    // command line itself plain).
    const noisy = `for i in $(seq 1 600); do printf 'line %s \\074/details\\076 \\140\\140\\140\\140 \\100ann %s\\n' "$i" ${"x".repeat(80)}; done`;
    const turns = [
      turn.call("apply_patch", FIX_SUM_PATCH),
      ...Array.from({ length: 40 }, () => turn.call("shell", { command: noisy })),
      turn.say(`Made sum add.\n\n${"A long explanation line. ".repeat(40)}\n`.repeat(30)),
    ];
    const task = await world().createTask();
    const { outcome } = await world().attempt(fixTask, task.id, turns);

    expect(outcome.status).toBe("succeeded");
    const [create] = world().github.requestsTo("POST", PULLS);
    const body = (create?.body as { body?: string } | undefined)?.body ?? "";
    expect(body.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(body).toContain("Fixes #7");
    expect(body).toContain("### Commands run");
    expect(body).toMatch(/<summary>Step log \(42 steps, [\d,]+ tokens\)<\/summary>/);
    expect(body.trimEnd().endsWith("here to ask for changes.</sub>")).toBe(true);
    // Outside code, every <details> is closed; the output's own "</details>" stays inert.
    expect(body).toContain("line 1 </details> ```` @ann");
    expect(balancedDetails(body)).toBe(true);
  }, 240_000);
});

/** Opened and closed <details> tags outside code fences match, as GitHub would nest them. */
function balancedDetails(body: string): boolean {
  let fence: string | undefined;
  let depth = 0;
  for (const line of body.split("\n")) {
    const match = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(
      line.trimStart().length < line.length - 3 ? "" : line.trimStart(),
    );
    if (match) {
      const run = match[1] ?? "";
      if (fence === undefined) fence = run;
      else if (run[0] === fence[0] && run.length >= fence.length && (match[2] ?? "").trim() === "")
        fence = undefined;
      continue;
    }
    if (fence !== undefined) continue;
    depth += (line.match(/<details>/g) ?? []).length - (line.match(/<\/details>/g) ?? []).length;
    if (depth < 0) return false;
  }
  return fence === undefined && depth === 0;
}
