import { failureWords, markdownTable } from "./report-markdown.ts";
import type { EvalResult, RunMeta } from "./results.ts";
import { formatDollars, formatPercent, formatSeconds, intervalNote, summarizeResults } from "./summary.ts";

/** One run folder as `eval compare` reads it. */
export type RunForComparison = { folder: string; meta: RunMeta; results: EvalResult[] };

/**
 * The rows of a comparison's per-task table: each task (sorted by id) with each run's outcome in
 * words, `—` where a run has no result for it.
 *
 * @example
 * outcomeRows(runs, (result) => (result.resolved ? "✓" : "✗")); // [["sum-4f1c2ab93e01", "✓", "✗"], …]
 */
export function outcomeRows<R extends { instance_id: string }>(
  runs: readonly { results: readonly R[] }[],
  outcome: (result: R) => string,
): string[][] {
  const ids = [...new Set(runs.flatMap((run) => run.results.map((result) => result.instance_id)))].sort();
  const byId = runs.map((run) => new Map(run.results.map((result) => [result.instance_id, result])));
  return ids.map((id) => [
    id,
    ...byId.map((results) => {
      const result = results.get(id);
      return result ? outcome(result) : "—";
    }),
  ]);
}

/**
 * Several runs side by side, in Markdown: one row per run (model, tasks, resolve rate with its Wilson
 * 95% interval, cost and time per task), then one row per task with each run's outcome, so the tasks
 * one model solves and another does not stand out. Tasks missing from a run show `—`.
 *
 * @example
 * console.log(compareRuns([{ folder: "runs/gpt-5", meta, results }, { folder: "runs/mini", meta: meta2, results: results2 }]));
 */
export function compareRuns(runs: readonly RunForComparison[]): string {
  const summaries = runs.map((run) => summarizeResults(run.results));
  const header = ["Run", "Model", "Tasks", "Resolved", "Rate (95% CI)", "Cost per task", "Time per task"];
  const rows = runs.map((run, index) => {
    const summary = summaries[index] as ReturnType<typeof summarizeResults>;
    return [
      run.folder,
      run.meta.model,
      `${summary.tasks}${summary.tasks < run.meta.tasks ? ` of ${run.meta.tasks}` : ""}`,
      String(summary.resolved),
      `${formatPercent(summary.rate)}${intervalNote(summary.interval)}`,
      formatDollars(summary.cost.perTask),
      formatSeconds(summary.wallMs.mean),
    ];
  });
  const taskRows = outcomeRows(runs, (result) =>
    result.resolved ? "✓" : `✗ ${failureWords(result.failure)}`,
  );
  return [
    "# Loopwright eval: comparison",
    "",
    markdownTable(header, rows),
    "",
    "## Tasks",
    "",
    markdownTable(["Task", ...runs.map((run) => run.folder)], taskRows),
    "",
  ].join("\n");
}
