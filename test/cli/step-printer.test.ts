import { describe, expect, it } from "vitest";
import type { ModelTurnEvent, ToolCallEvent } from "../../src/agent/events.ts";
import { changeSummary, createStepPrinter } from "../../src/cli/step-printer.ts";

const usage = { input: 100, cached: 0, output: 10, reasoning: 0, total: 110 };
const turn = (toolCalls: string[], toolCallGists?: string[]): ModelTurnEvent => ({
  type: "model_turn",
  step: 2,
  at: "2026-01-01T00:00:00Z",
  model: "m",
  durationMs: 1200,
  usage,
  estimated: false,
  text: "",
  reasoning: "",
  toolCalls,
  ...(toolCallGists && { toolCallGists }),
});
const call = (name: string, command: string, exitCode: number | null, output = ""): ToolCallEvent => ({
  type: "tool_call",
  step: 2,
  at: "2026-01-01T00:00:01Z",
  callId: "c",
  name,
  arguments: JSON.stringify({ command }),
  exitCode,
  isError: false,
  durationMs: 400,
  output,
  fullOutput: output,
  fullOutputTruncated: false,
});

function printed(events: (ModelTurnEvent | ToolCallEvent)[]): string[] {
  const lines: string[] = [];
  const printer = createStepPrinter((line) => lines.push(line));
  for (const event of events) printer.print(event);
  return lines;
}

describe("step printer", () => {
  it("shows each command when it starts, and the next one when the previous ends", () => {
    const output = Array.from({ length: 20 }, (_, index) => `line ${index + 1}`).join("\n");
    const lines = printed([
      turn(["shell", "shell"], ["npm test", "npm run lint"]),
      call("shell", "npm test", 1, output),
      call("shell", "npm run lint", 0),
    ]);
    expect(lines).toEqual([
      "step 2 · model 1.2 s · 100 in / 10 out → shell, shell",
      "step 2 · shell $ npm test",
      "       ↳ exit 1 (400 ms)",
      ...Array.from({ length: 12 }, (_, index) => `       │ line ${index + 9}`),
      "step 2 · shell $ npm run lint",
      "       ↳ exit 0 (400 ms)",
    ]);
  });

  it("prints a step stored before turns named their calls as one line when it ends", () => {
    expect(printed([turn(["shell"]), call("shell", "make", 0)])).toEqual([
      "step 2 · model 1.2 s · 100 in / 10 out → shell",
      "step 2 · shell make → exit 0 (400 ms)",
    ]);
  });

  it("ends with the changed files, or says nothing changed", () => {
    expect(changeSummary([])).toEqual(["", "no files changed"]);
    expect(changeSummary([{ path: "a.ts", added: 2, removed: 0 }])).toEqual([
      "",
      "changed files:",
      " a.ts | 2 ++",
      " 1 file changed, 2 insertions(+)",
    ]);
  });
});
