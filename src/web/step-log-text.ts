import { formatCount, formatDuration } from "../agent/event-summary.ts";
import type { Task } from "../store/tasks.ts";
import { latestPlan, type StepView } from "./step-view.ts";

export type TextOptions = {
  /** Columns to fit (wider lines wrap). */
  width: number;
  /** ANSI colours (for a terminal). */
  color: boolean;
  /** Output lines shown per step: the first and last halves of it, the middle left out. */
  outputLines?: number;
};

const CODES = { red: 31, green: 32, yellow: 33, magenta: 35, dim: 2, bold: 1 } as const;

function paint(options: TextOptions) {
  return (style: keyof typeof CODES, text: string): string =>
    options.color && text !== "" ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text;
}

/** Breaks `text` into lines of at most `width` characters (at spaces when it can). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const raw of text.split("\n")) {
    let rest = raw.replace(/\s+$/, "");
    while (rest.length > width) {
      const space = rest.lastIndexOf(" ", width);
      const cut = space > width / 2 ? space : width;
      lines.push(rest.slice(0, cut));
      rest = rest.slice(cut).replace(/^ /, "");
    }
    lines.push(rest);
  }
  return lines;
}

const STATUS_STYLE: Record<Task["status"], keyof typeof CODES> = {
  queued: "dim",
  running: "yellow",
  succeeded: "green",
  failed: "red",
  cancelled: "magenta",
  budget_exhausted: "red",
};

function excerpt(output: string, lines: number): string[] {
  const all = output.replace(/\s+$/, "").split("\n");
  if (all.length <= lines) return all;
  const head = Math.ceil(lines / 2);
  const tail = lines - head;
  return [...all.slice(0, head), `… ${all.length - lines} lines left out …`, ...all.slice(all.length - tail)];
}

/**
 * A task and its step log for a terminal: a header (status, requester, tokens, time, links), the
 * plan, then one aligned row per step (place, tool or kind, what it ran, exit code, tokens, time)
 * with an excerpt of its output beneath, every line wrapped to `width`.
 *
 * @example
 * console.log(renderTaskText(task, steps.map(toStepView), { width: 100, color: process.stdout.isTTY }));
 */
export function renderTaskText(task: Task, steps: readonly StepView[], options: TextOptions): string {
  const style = paint(options);
  const width = Math.max(40, options.width);
  const target = task.number === null ? task.repository : `${task.repository}#${task.number}`;
  const elapsed =
    task.startedAt === null
      ? "not started"
      : formatDuration((task.finishedAt ?? new Date()).getTime() - task.startedAt.getTime());
  const out: string[] = [
    `${style("bold", `#${task.id} ${task.kind}`)} · ${target} · ${style(STATUS_STYLE[task.status], task.status.replace("_", " "))}`,
    ...wrap(
      `requested by ${task.requester ?? "-"} via ${task.trigger} · attempt ${task.attempt} · ${formatCount(task.tokens)} tokens · ${elapsed}`,
      width - 2,
    ).map((line) => `  ${line}`),
  ];
  if (task.prUrl) out.push(`  pull request: ${task.prUrl}`);
  if (task.error)
    out.push(...wrap(`error: ${task.error}`, width - 2).map((line) => `  ${style("red", line)}`));
  const plan = latestPlan(steps);
  if (plan.length > 0) {
    const marks = { completed: "[x]", in_progress: "[~]", pending: "[ ]" } as const;
    out.push("", style("bold", "Plan"));
    for (const item of plan)
      out.push(...wrap(`${marks[item.status]} ${item.step}`, width - 2).map((line) => `  ${line}`));
  }
  out.push("", style("bold", steps.length === 0 ? "No steps yet" : "Steps"));
  const idWidth = Math.max(...steps.map((step) => step.id.length), 3);
  const titleWidth = Math.min(24, Math.max(...steps.map((step) => step.title.length), 4));
  const indent = " ".repeat(2 + idWidth + 2 + titleWidth + 2);
  for (const step of steps) {
    const cost = [
      step.exitCode === null ? "" : style(step.exitCode === 0 ? "green" : "red", `exit ${step.exitCode}`),
      step.tokens === null ? "" : `${formatCount(step.tokens)} tok`,
      step.durationMs === null ? "" : formatDuration(step.durationMs),
    ]
      .filter((part) => part !== "")
      .join("  ");
    const title = step.title.length > titleWidth ? `${step.title.slice(0, titleWidth - 1)}…` : step.title;
    const head = `  ${style("dim", step.id.padEnd(idWidth))}  ${style(step.failed ? "red" : "bold", title.padEnd(titleWidth))}  `;
    const detailLines = wrap(step.detail.replace(/\s+/g, " ").trim(), Math.max(20, width - indent.length));
    const first = detailLines[0] ?? "";
    out.push(`${head}${first}${cost === "" ? "" : `  ${cost}`}`.trimEnd());
    for (const line of detailLines.slice(1)) out.push(`${indent}${line}`);
    if (step.output.trim() !== "") {
      for (const line of excerpt(step.output, options.outputLines ?? 12)) {
        for (const part of wrap(line, Math.max(20, width - indent.length - 2)))
          out.push(`${indent}${style("dim", `│ ${part}`)}`);
      }
    }
  }
  return out.join("\n");
}
