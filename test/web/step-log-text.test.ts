import { describe, expect, it } from "vitest";
import type { Step } from "../../src/store/steps.ts";
import type { Task } from "../../src/store/tasks.ts";
import { renderTaskText, wrap } from "../../src/web/step-log-text.ts";
import { latestPlan, toStepView } from "../../src/web/step-view.ts";
import { toolCallPayload } from "./helpers/dashboard-server.ts";

const task: Task = {
  id: 42,
  kind: "fix",
  lane: "interactive",
  status: "failed",
  repository: "octo/app",
  installationId: 1,
  number: 7,
  requester: "rita",
  trigger: "comment",
  deliveryId: null,
  eventKey: null,
  input: {},
  attempt: 1,
  cancelRequested: false,
  sideEffects: {},
  prUrl: null,
  error: "the tests still fail",
  tokens: 12_345,
  worker: "w",
  createdAt: new Date("2026-05-01T10:00:00Z"),
  startedAt: new Date("2026-05-01T10:00:00Z"),
  finishedAt: new Date("2026-05-01T10:03:05Z"),
  updatedAt: new Date("2026-05-01T10:03:05Z"),
};

const step = (seq: number, kind: string, payload: unknown, durationMs: number | null = null): Step => ({
  taskId: 42,
  attempt: 1,
  seq,
  kind,
  startedAt: new Date("2026-05-01T10:00:00Z"),
  durationMs,
  payload,
});

const steps = [
  step(0, "model_turn", {
    model: "gpt-5-codex",
    durationMs: 1200,
    text: "Let me run the tests first.",
    reasoning: "",
    toolCalls: ["shell"],
    usage: { input: 900, cached: 0, output: 100, reasoning: 0, total: 1000 },
  }),
  step(
    1,
    "tool_call",
    toolCallPayload("npm test", 1, Array.from({ length: 30 }, (_, n) => `line ${n}`).join("\n")),
  ),
  step(2, "plan_update", {
    plan: [
      { step: "Reproduce", status: "completed" },
      { step: "Fix", status: "in_progress" },
    ],
  }),
  step(3, "mystery", { anything: true }),
];

describe("the step log as text", () => {
  it("reads every kind of step into a view", () => {
    const views = steps.map(toStepView);
    expect(views[0]).toMatchObject({ id: "1.0", title: "model gpt-5-codex", tokens: 1000, durationMs: 1200 });
    expect(views[1]).toMatchObject({
      title: "shell",
      detail: "bash -lc npm test",
      exitCode: 1,
      failed: true,
    });
    expect(latestPlan(views)).toEqual([
      { step: "Reproduce", status: "completed" },
      { step: "Fix", status: "in_progress" },
    ]);
    expect(views[3]?.output).toContain('"anything": true');
    expect(toStepView(step(4, "tool_call", "not an object"))).toMatchObject({ title: "tool", detail: "" });
  });

  it("renders an aligned, wrapped log with output excerpts, coloured only when asked", () => {
    const text = renderTaskText(task, steps.map(toStepView), { width: 100, color: false });
    expect(text).toContain("#42 fix · octo/app#7 · failed");
    expect(text).toContain("requested by rita via comment · attempt 1 · 12,345 tokens ·");
    expect(text).toContain("  [x] Reproduce");
    expect(text).toMatch(/^ {2}1\.1 {2}shell {14}bash -lc npm test {2}exit 1 {2}420 ms$/m);
    expect(text).toContain("│ line 0");
    expect(text).toContain("… 18 lines left out …");
    expect(text).toContain("│ line 29");
    expect(text).not.toContain("\u001b[");
    const narrow = renderTaskText(task, steps.map(toStepView), { width: 50, color: false });
    for (const line of narrow.split("\n")) expect(line.length).toBeLessThanOrEqual(70);
    expect(renderTaskText(task, [], { width: 60, color: true })).toContain("\u001b[31mfailed\u001b[0m");
  });

  it("wraps at spaces, and cuts words longer than the width", () => {
    expect(wrap("one two three four", 9)).toEqual(["one two", "three", "four"]);
    expect(wrap("abcdefghij", 4)).toEqual(["abcd", "efgh", "ij"]);
  });
});
