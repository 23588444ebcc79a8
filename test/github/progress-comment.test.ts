import { describe, expect, it } from "vitest";
import { findMarker } from "../../src/github/markdown.ts";
import {
  formatDuration,
  type ProgressView,
  renderProgressComment,
} from "../../src/github/progress-comment.ts";

const base: ProgressView = {
  taskId: "t_42",
  kind: "fix",
  status: "running",
  command: "/agent",
  elapsedMs: 192_000,
  tokens: 145_233,
  plan: [
    { step: "Reproduce the crash", status: "completed" },
    { step: "Fix `parse()`", status: "in_progress" },
    { step: "Run the tests", status: "pending" },
  ],
  currentStep: { number: 12, maxSteps: 60, description: "running npm test" },
};

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [45_000, "45s"],
    [192_000, "3m 12s"],
    [3_840_000, "1h 04m"],
    [-5, "0s"],
  ])("%i ms → %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("renderProgressComment", () => {
  it("shows status, plan, current step, time and tokens while running", () => {
    const body = renderProgressComment(base);
    expect(findMarker(body, "task")).toBe("t_42");
    expect(body).toContain("🔄 Working · a fix for this issue");
    expect(body).toContain("step 12 of at most 60 · 3m 12s · 145,233 tokens");
    expect(body).toContain(
      "- [x] Reproduce the crash\n- [ ] **Fix \\`parse\\(\\)\\`** ← now\n- [ ] Run the tests",
    );
    expect(body).toContain("**Now:** running npm test");
    expect(body).toContain("Comment `/agent stop` to stop.");
  });

  it("shows the pull request when done, without the running details", () => {
    const body = renderProgressComment({
      ...base,
      status: "succeeded",
      result: { pullRequest: { number: 7, url: "https://github.com/o/r/pull/7" } },
      logUrl: "https://loopwright.example/tasks/t_42",
    });
    expect(body).toContain("✅ Done");
    expect(body).toContain("Opened [#7](https://github.com/o/r/pull/7).");
    expect(body).not.toContain("**Now:**");
    expect(body).not.toContain("← now");
    expect(body).toContain("- [ ] Fix \\`parse\\(\\)\\`\n");
    expect(body).not.toContain("to stop");
    expect(body).toContain("<sub>[Step log](https://loopwright.example/tasks/t_42)</sub>");
    expect(
      renderProgressComment({
        ...base,
        kind: "iterate",
        status: "succeeded",
        result: { pullRequest: { number: 7, url: "u" } },
      }),
    ).toContain("Pushed new commits to this pull request.");
  });

  it("says why there is no pull request and what was tried", () => {
    const tried = Array.from({ length: 25 }, (_, i) => `npm test -- case${i}`);
    const body = renderProgressComment({
      ...base,
      status: "no_changes",
      plan: [],
      result: { reason: "The bug is already fixed on main; ping @ann", tried },
    });
    expect(body).toContain("ℹ️ Finished without changes");
    expect(body).toContain("The bug is already fixed on main; ping @&#8203;ann");
    expect(body).toContain("**What was tried**\n\n- `npm test -- case0`");
    expect(body).toContain("- ... and 5 more");
    expect(body).not.toContain("**Plan**");
  });

  it("renders failures and stops", () => {
    expect(
      renderProgressComment({
        ...base,
        status: "failed",
        result: { reason: "The model's quota is used up" },
      }),
    ).toContain("❌ Failed");
    const stopped = renderProgressComment({
      ...base,
      status: "stopped",
      result: { reason: "Stopped by ann with /agent stop" },
    });
    expect(stopped).toContain("⏹️ Stopped");
    expect(stopped).toContain("Stopped by ann with /agent stop");
    expect(renderProgressComment({ ...base, status: "queued", currentStep: undefined })).toContain(
      "⏳ Queued",
    );
  });

  it("stays within GitHub's limit with a huge plan and escapes model text", () => {
    const plan = Array.from({ length: 500 }, () => ({
      step: `</details> @all ${"z".repeat(5000)}`,
      status: "pending" as const,
    }));
    const body = renderProgressComment({ ...base, plan });
    expect(body.length).toBeLessThan(65_536);
    expect(body).toContain("- ... and 470 more");
    expect(body).not.toContain("</details>");
    expect(body).not.toMatch(/(^|[^;])@all/);
  });
});
