import { describe, expect, it } from "vitest";
import type { AgentEvent, FinalEvent, ModelTurnEvent, ToolCallEvent } from "../../src/agent/events.ts";
import { renderStepLog } from "../../src/agent/step-log.ts";

const at = "2025-01-01T00:00:00.000Z";
const usage = { input: 1000, cached: 800, output: 50, reasoning: 0, total: 1050 };

function turn(step: number): ModelTurnEvent {
  return {
    type: "model_turn",
    step,
    at,
    model: "m",
    durationMs: 1200,
    usage,
    estimated: false,
    text: `Looking at step ${step}.`,
    reasoning: "",
    toolCalls: ["shell"],
  };
}

function shell(step: number, output: string): ToolCallEvent {
  return {
    type: "tool_call",
    step,
    at,
    callId: `c${step}`,
    name: "shell",
    arguments: JSON.stringify({ command: ["npm", "test"] }),
    exitCode: 1,
    isError: true,
    durationMs: 400,
    output,
    fullOutput: output,
    fullOutputTruncated: false,
  };
}

function final(steps: number, message = "All done."): FinalEvent {
  return {
    type: "final",
    step: steps,
    at,
    outcome: "completed",
    message,
    result: null,
    budget: null,
    error: null,
    lastAssistantText: message,
    totals: { ...usage, steps, toolCalls: steps, compactions: 0, durationMs: 65_000 },
  };
}

function run(steps: number, outputLines: number): AgentEvent[] {
  const output = Array.from({ length: outputLines }, (_, index) => `FAIL test ${index} \`x\``).join("\n");
  return [
    ...Array.from({ length: steps }, (_, index) => [turn(index + 1), shell(index + 1, output)]).flat(),
    final(steps),
  ];
}

describe("renderStepLog", () => {
  it("renders every step in full when it fits", () => {
    const log = renderStepLog(run(2, 3));
    expect(log.split("\n")[0]).toBe(
      "**completed** · 2 steps · 2 tool calls · 1,050 tokens (800 cached) · 1m 05s",
    );
    expect(log).toContain("- `shell` `npm test` → exit 1 (400 ms)");
    expect(log).toContain("  > Looking at step 2.");
    expect(log).toContain("  FAIL test 2 `x`");
    expect(log).toMatch(/\*\*Final message\*\*\n\nAll done\.$/);
    expect(log).not.toContain("condensed");
  });

  it("condenses the middle steps to one line each, keeping the ends in full, never cutting a line", () => {
    const events = run(200, 30);
    const full = renderStepLog(events, 10_000_000);
    const log = renderStepLog(events, 45_000);
    expect(log.length).toBeLessThanOrEqual(45_000);
    expect(log).toContain("_The middle steps are condensed to one line each to fit the size limit._");
    expect(log).toContain("  > Looking at step 1.");
    expect(log).toContain("  > Looking at step 200.");
    expect(log).toContain("- step 100 · shell npm test → exit 1 (400 ms)");
    const known = new Set(full.split("\n"));
    for (const line of log.split("\n")) {
      if (!known.has(line)) expect(line).toMatch(/^(- step \d+ · .*|_The middle steps .*_)$/);
    }
    expect(log).toMatch(/All done\.$/);
  });

  it("leaves out middle steps when even one line each is too long", () => {
    const log = renderStepLog(run(2000, 1), 20_000);
    expect(log.length).toBeLessThanOrEqual(20_000);
    expect(log).toMatch(/- _… \d+ steps left out to fit the size limit …_/);
    expect(log).toContain("- step 1 · model");
    expect(log).toContain("- step 2000 · shell");
  });

  it("keeps a huge final message within the limit by dropping whole middle lines", () => {
    const message = Array.from({ length: 5000 }, (_, index) => `line ${index}`).join("\n");
    const log = renderStepLog([turn(1), final(1, message)], 10_000);
    expect(log.length).toBeLessThanOrEqual(10_000);
    expect(log).toContain("line 0\n");
    expect(log).toMatch(/line 4999$/);
  });
});
