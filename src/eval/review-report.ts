import { outcomeRows } from "./compare.ts";
import { RESOLVED_COLOR, reportPage, UNRESOLVED_COLOR } from "./report-html.ts";
import { markdownTable } from "./report-markdown.ts";
import type { RunMeta } from "./results.ts";
import { MATCH_DISTANCE, type ReviewResult, type ReviewSummary, summarizeReviews } from "./review-score.ts";
import { formatDollars, formatPercent, formatSeconds, intervalNote } from "./summary.ts";
import { barChart } from "./svg-charts.ts";

const FAILURE_WORDS: Record<string, string> = {
  no_review: "ended without submit_review",
  budget: "budget",
  error: "error",
};

/**
 * The headline numbers of a review run as label → value pairs.
 *
 * @example
 * reviewHeadline(meta, summary)[1]; // ["Recall", "7 of 10 seeded bugs found: 70.0% (95% CI 39.7%–89.2%)"]
 */
export function reviewHeadline(meta: RunMeta, summary: ReviewSummary): [string, string][] {
  const failures = Object.entries(summary.failures)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${FAILURE_WORDS[kind] ?? kind}: ${count}`)
    .join(", ");
  return [
    [
      "Pull requests",
      `${summary.cases}${summary.cases < meta.tasks ? ` of the ${meta.tasks} in the set (partial run)` : ""}: ${summary.seeded} seeded, ${summary.cases - summary.seeded} clean`,
    ],
    [
      "Recall",
      `${summary.found} of ${summary.seeded} seeded bugs found: ${formatPercent(summary.recall)}${intervalNote(summary.interval, "95% CI ")}`,
    ],
    [
      "False findings per clean pull request",
      summary.falsePerClean === null
        ? "— (no clean pull request reviewed)"
        : `${summary.falsePerClean.toFixed(2)} (${summary.falseFindings} on ${summary.clean}; ${summary.cleanFlagged} of them flagged)`,
    ],
    ["Other findings on seeded pull requests", String(summary.otherFindings)],
    ["Reviews that failed", failures === "" ? "none" : failures],
    [
      "Tokens per pull request",
      summary.tokens.mean === null ? "—" : Math.round(summary.tokens.mean).toLocaleString("en-US"),
    ],
    [
      "Time per pull request",
      `${formatSeconds(summary.wallMs.mean)} mean (${formatSeconds(summary.wallMs.total)} in all)`,
    ],
    [
      "Cost",
      summary.cost.priced === 0
        ? `unknown (no price for ${meta.model}; give one with --prices)`
        : `${formatDollars(summary.cost.perCase)} per pull request, ${formatDollars(summary.cost.total)} in all`,
    ],
  ];
}

const CASE_COLUMNS = ["Pull request", "Seeded bug", "Outcome", "Findings", "Tokens", "Time"];

const reportTitle = (meta: RunMeta) => `Loopwright review eval: ${meta.model} on ${meta.task_set}`;

const reportIntro = (meta: RunMeta) =>
  `Started ${meta.started_at}. A seeded bug is found when a finding on the pull request's side of its file reaches within ${MATCH_DISTANCE} lines of the bug's line; every finding on a clean pull request is a false one.`;

/** A pull request's outcome in words: found, missed, clean, "2 false", or why its review failed. */
function outcomeWords(result: ReviewResult): string {
  return result.failure
    ? (FAILURE_WORDS[result.failure] ?? result.failure)
    : result.expected === "bug"
      ? result.found
        ? "found"
        : "missed"
      : result.false_findings === 0
        ? "clean"
        : `${result.false_findings} false`;
}

/** Whether a pull request's outcome is the one wanted: its seeded bug found, or nothing on a clean one. */
const wanted = (result: ReviewResult) =>
  result.failure === null &&
  (result.expected === "bug" ? result.found === true : result.false_findings === 0);

/** One pull request's row in the reports. */
function caseRow(result: ReviewResult): string[] {
  const lines = result.findings
    .map(
      (finding) =>
        `${finding.path}:${finding.start_line}${finding.end_line > finding.start_line ? `-${finding.end_line}` : ""}`,
    )
    .join(", ");
  return [
    result.instance_id,
    result.bug ? `${result.bug.path}:${result.bug.line}` : "clean",
    outcomeWords(result),
    lines === "" ? "—" : lines,
    result.tokens.total.toLocaleString("en-US"),
    formatSeconds(result.wall_ms),
  ];
}

/**
 * `report.md` of an `eval review` run: recall with its Wilson interval, false findings per clean
 * pull request, failures, tokens, time and cost, and one row per pull request.
 *
 * @example
 * await writeFile("runs/r/report.md", renderReviewReport(meta, results, summarizeReviews(results)));
 */
export function renderReviewReport(
  meta: RunMeta,
  results: readonly ReviewResult[],
  summary: ReviewSummary,
): string {
  return [
    `# ${reportTitle(meta)}`,
    "",
    reportIntro(meta),
    "",
    markdownTable(["Measure", "Value"], reviewHeadline(meta, summary)),
    "",
    "## Pull requests",
    "",
    markdownTable(CASE_COLUMNS, results.map(caseRow)),
    "",
  ].join("\n");
}

/**
 * `report.html` of an `eval review` run: report.md's numbers and rows, and the tokens of each review
 * as a bar (green: the seeded bug found, or nothing on a clean pull request), in one self-contained
 * file.
 *
 * @example
 * await writeFile("runs/r/report.html", renderReviewHtmlReport(meta, results, summarizeReviews(results)));
 */
export function renderReviewHtmlReport(
  meta: RunMeta,
  results: readonly ReviewResult[],
  summary: ReviewSummary,
): string {
  const bars = results.map((result) => ({
    label: result.instance_id,
    value: result.tokens.total,
    text: `${result.tokens.total.toLocaleString("en-US")} ${outcomeWords(result)}`,
    color: wanted(result) ? RESOLVED_COLOR : UNRESOLVED_COLOR,
  }));
  return reportPage({
    title: reportTitle(meta),
    intro: reportIntro(meta),
    headline: reviewHeadline(meta, summary),
    charts: [barChart("Tokens per pull request (green: bug found, or a clean one left clean)", bars)],
    tableTitle: "Pull requests",
    columns: CASE_COLUMNS,
    rows: results.map(caseRow),
    cellClass: (index, value) =>
      index === 2 ? (value === "found" || value === "clean" ? "yes" : "no") : undefined,
  });
}

/** One `eval review` run folder as `eval compare` reads it. */
export type ReviewRunForComparison = { folder: string; meta: RunMeta; results: ReviewResult[] };

/**
 * Several review runs side by side, in Markdown: per run the model, pull requests, recall with its
 * Wilson 95% interval, false findings per clean pull request, tokens and time; then per pull request
 * each run's outcome (`✓` found, `✗` missed, the false findings of a clean one).
 *
 * @example
 * console.log(compareReviewRuns([{ folder: "runs/gpt-5", meta, results }, { folder: "runs/mini", meta: meta2, results: results2 }]));
 */
export function compareReviewRuns(runs: readonly ReviewRunForComparison[]): string {
  const rows = runs.map((run) => {
    const summary = summarizeReviews(run.results);
    return [
      run.folder,
      run.meta.model,
      `${summary.cases}${summary.cases < run.meta.tasks ? ` of ${run.meta.tasks}` : ""}`,
      `${summary.found}/${summary.seeded}`,
      `${formatPercent(summary.recall)}${intervalNote(summary.interval)}`,
      summary.falsePerClean === null ? "—" : summary.falsePerClean.toFixed(2),
      summary.tokens.mean === null ? "—" : Math.round(summary.tokens.mean).toLocaleString("en-US"),
      formatSeconds(summary.wallMs.mean),
    ];
  });
  const caseRows = outcomeRows(runs, (result) => {
    if (result.failure) return `✗ ${FAILURE_WORDS[result.failure] ?? result.failure}`;
    if (result.expected === "bug") return result.found ? "✓" : "✗ missed";
    return result.false_findings === 0 ? "✓ clean" : `✗ ${result.false_findings} false`;
  });
  return [
    "# Loopwright review eval: comparison",
    "",
    markdownTable(
      ["Run", "Model", "Pull requests", "Found", "Recall (95% CI)", "False per clean", "Tokens", "Time"],
      rows,
    ),
    "",
    "## Pull requests",
    "",
    markdownTable(["Pull request", ...runs.map((run) => run.folder)], caseRows),
    "",
  ].join("\n");
}
