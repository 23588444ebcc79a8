import type { EvalResult, RunMeta } from "./results.ts";
import { formatDollars, formatPercent, formatSeconds, type RunSummary } from "./summary.ts";

/** A value for a Markdown table cell: backslashes and pipes escaped, newlines flattened. */
function cell(value: string): string {
  return value
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/\s*\n\s*/g, " ");
}

/**
 * A Markdown table; cells are escaped so a task id with a pipe cannot break it.
 *
 * @example
 * markdownTable(["Task", "Resolved"], [["a|b", "yes"]]); // "| Task | Resolved |\n| --- | --- |\n| a\\|b | yes |"
 */
export function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  return [
    `| ${header.map(cell).join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.map(cell).join(" | ")} |`),
  ].join("\n");
}

const FAILURE_WORDS: Record<string, string> = {
  no_change: "no change",
  tests_fail: "tests fail",
  budget: "budget",
  error: "error",
};

/**
 * A failure class in words, as the reports show it.
 *
 * @example
 * failureWords("tests_fail"); // "tests fail"
 */
export function failureWords(failure: string | null): string {
  return failure === null ? "" : (FAILURE_WORDS[failure] ?? failure);
}

/**
 * The headline numbers of a run as label → value pairs, the same in report.md and report.html.
 *
 * @example
 * headline(meta, summary)[1]; // ["Resolved", "7 of 20: 35.0% (95% CI 18.1%–56.7%)"]
 */
export function headline(meta: RunMeta, summary: RunSummary): [string, string][] {
  const interval = summary.interval
    ? ` (95% CI ${formatPercent(summary.interval.low)}–${formatPercent(summary.interval.high)})`
    : "";
  const failures = Object.entries(summary.failures)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${failureWords(kind)}: ${count}`)
    .join(", ");
  const unpriced = summary.tasks - summary.cost.priced;
  return [
    [
      "Tasks",
      `${summary.tasks}${summary.tasks < meta.tasks ? ` of the ${meta.tasks} in the set (partial run)` : ""}`,
    ],
    ["Resolved", `${summary.resolved} of ${summary.tasks}: ${formatPercent(summary.rate)}${interval}`],
    ["Not resolved", failures === "" ? "none" : failures],
    [
      "Cost",
      summary.cost.priced === 0
        ? `unknown (no price for ${meta.model}; give one with --prices)`
        : `${formatDollars(summary.cost.perTask)} per task, ${formatDollars(summary.cost.total)} in all${unpriced > 0 ? ` (${unpriced} tasks without a price)` : ""}`,
    ],
    [
      "Time per task",
      `${formatSeconds(summary.wallMs.mean)} mean, ${formatSeconds(summary.wallMs.median)} median (${formatSeconds(summary.wallMs.total)} in all)`,
    ],
    [
      "Tokens per task",
      summary.tokens.mean === null ? "—" : Math.round(summary.tokens.mean).toLocaleString("en-US"),
    ],
    ["Model turns per task", summary.steps.mean === null ? "—" : summary.steps.mean.toFixed(1)],
  ];
}

/**
 * One task's row in the reports' task table.
 *
 * @example
 * taskRow(result); // ["sum-4f1c2ab93e01", "yes", "", "2/2", "5/5", "3", "12,034", "$0.0101", "41.2 s"]
 */
export function taskRow(result: EvalResult): string[] {
  const tests = (outcome: { passed: number; total: number } | undefined) =>
    outcome ? `${outcome.passed}/${outcome.total}` : "—";
  return [
    result.instance_id,
    result.resolved ? "yes" : "no",
    failureWords(result.failure),
    tests(result.tests?.fail_to_pass),
    tests(result.tests?.pass_to_pass),
    String(result.steps),
    result.tokens.total.toLocaleString("en-US"),
    formatDollars(result.cost_usd),
    formatSeconds(result.wall_ms),
  ];
}

export const TASK_COLUMNS = [
  "Task",
  "Resolved",
  "Failure",
  "FAIL_TO_PASS",
  "PASS_TO_PASS",
  "Steps",
  "Tokens",
  "Cost",
  "Time",
];

/**
 * `report.md`: the headline numbers, the resolve rate by task size, and one row per task.
 *
 * @example
 * await writeFile("run/report.md", renderMarkdownReport(meta, results, summarizeResults(results)));
 */
export function renderMarkdownReport(
  meta: RunMeta,
  results: readonly EvalResult[],
  summary: RunSummary,
): string {
  const sizes = summary.bySize
    .filter((bucket) => bucket.tasks > 0)
    .map((bucket) => [
      bucket.label,
      String(bucket.tasks),
      String(bucket.resolved),
      formatPercent(bucket.rate),
    ]);
  return [
    `# Loopwright eval: ${meta.model} on ${meta.task_set}`,
    "",
    `Started ${meta.started_at}. Resolved means every FAIL_TO_PASS and PASS_TO_PASS test passed after the held-back test changes were applied.`,
    "",
    markdownTable(["Measure", "Value"], headline(meta, summary)),
    "",
    "## Resolve rate by task size",
    "",
    "Size is the number of lines the recorded fix changes.",
    "",
    markdownTable(["Size", "Tasks", "Resolved", "Rate"], sizes),
    "",
    "## Tasks",
    "",
    markdownTable(TASK_COLUMNS, results.map(taskRow)),
    "",
  ].join("\n");
}
