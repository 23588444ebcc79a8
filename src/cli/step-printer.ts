import { formatDuration, summarizeEvent, toolCallGist, toolOutcome } from "../agent/event-summary.ts";
import type { AgentEvent, ToolCallEvent } from "../agent/events.ts";
import { type FileStat, formatDiffstat } from "../workspace/diffstat.ts";

/** Lines of a failing command's output shown under it (the rest is in the step log). */
const FAILING_TAIL_LINES = 12;
const INDENT = "       ";

/** Prints a task's steps for a terminal as they happen (see `createStepPrinter`). */
export type StepPrinter = { print(event: AgentEvent): void };

const failed = (event: ToolCallEvent): boolean =>
  event.isError || (event.exitCode !== null && event.exitCode !== 0);

function outputTail(output: string): string[] {
  const lines = output.replace(/\s+$/, "").split("\n");
  return lines.slice(-FAILING_TAIL_LINES).map((line) => `${INDENT}│ ${line}`);
}

/**
 * The step log as `loopwright run`, `replay` and `submit --wait` print it: a tool call's command
 * as it starts (the model turn that asked for it names what each call will run, and each call
 * starts when the one before it ends), its outcome when it ends, and the tail of a failing
 * command's output; other steps as one line each.
 *
 * @example
 * const printer = createStepPrinter((line) => console.log(line));
 * printer.print(modelTurn);  // "step 3 · model 2.1 s · … → shell" and "step 3 · shell $ npm test"
 * printer.print(toolCall);   // "       ↳ exit 1 (4.2 s)" and the output's last lines
 */
export function createStepPrinter(write: (line: string) => void): StepPrinter {
  /** The calls of the latest model turn not yet ended; the first has been announced. */
  let pending: { name: string; gist: string }[] = [];
  let step = 0;
  const announce = () => {
    const next = pending[0];
    if (next) write(`step ${step} · ${next.name} ${next.name === "shell" ? "$ " : ""}${next.gist}`.trimEnd());
  };
  return {
    print(event) {
      if (event.type === "tool_call") {
        const announced = pending[0]?.name === event.name;
        write(
          announced
            ? `${INDENT}↳ ${toolOutcome(event)} (${formatDuration(event.durationMs)})`
            : summarizeEvent(event),
        );
        if (failed(event) && event.output.trim() !== "")
          for (const line of outputTail(event.output)) write(line);
        if (announced) pending.shift();
        announce();
        return;
      }
      write(summarizeEvent(event));
      if (event.type === "model_turn") {
        step = event.step;
        const gists = event.toolCallGists;
        pending =
          gists === undefined
            ? []
            : event.toolCalls.map((name, index) => ({ name, gist: gists[index] ?? toolCallGist(name, "") }));
        announce();
      }
    },
  };
}

/**
 * What a task changed, to end its output with: the files and a diffstat, or a line saying nothing
 * changed.
 *
 * @example
 * changeSummary([{ path: "src/a.ts", added: 3, removed: 1 }]);
 * // ["", "changed files:", " src/a.ts | 4 +++-", " 1 file changed, 3 insertions(+), 1 deletion(-)"]
 */
export function changeSummary(stats: FileStat[]): string[] {
  if (stats.length === 0) return ["", "no files changed"];
  return ["", "changed files:", ...formatDiffstat(stats)];
}
