import { html, SafeHtml } from "../web/html.ts";
import { headline, TASK_COLUMNS, taskRow } from "./report-markdown.ts";
import type { EvalResult, RunMeta } from "./results.ts";
import { formatPercent, type RunSummary } from "./summary.ts";
import { type Bar, barChart } from "./svg-charts.ts";

/** Bar and cell colours of a good and a bad outcome. */
export const RESOLVED_COLOR = "#54a24b";
export const UNRESOLVED_COLOR = "#e45756";
/** Above this many tasks the tokens chart is a histogram instead of one bar per task. */
const MAX_TASK_BARS = 60;
const BINS = 10;

function sizeChart(summary: RunSummary): SafeHtml {
  const bars: Bar[] = summary.bySize
    .filter((bucket) => bucket.tasks > 0)
    .map((bucket) => ({
      label: bucket.label,
      value: bucket.rate ?? 0,
      text: `${formatPercent(bucket.rate)} (${bucket.resolved}/${bucket.tasks})`,
    }));
  return barChart("Resolve rate by task size", bars, { max: 1 });
}

function tokensChart(results: readonly EvalResult[]): SafeHtml {
  if (results.length <= MAX_TASK_BARS) {
    const bars = results.map((result) => ({
      label: result.instance_id,
      value: result.tokens.total,
      text: `${result.tokens.total.toLocaleString("en-US")}${result.resolved ? " ✓" : ""}`,
      color: result.resolved ? RESOLVED_COLOR : UNRESOLVED_COLOR,
    }));
    return barChart("Tokens per task (green: resolved)", bars);
  }
  const top = Math.max(1, ...results.map((result) => result.tokens.total));
  const width = Math.ceil(top / BINS);
  const bins = Array.from({ length: BINS }, (_, index) => ({
    from: index * width,
    to: (index + 1) * width,
    count: 0,
  }));
  for (const result of results) {
    const bin = bins[Math.min(BINS - 1, Math.floor(result.tokens.total / width))];
    if (bin) bin.count += 1;
  }
  const bars = bins.map((bin) => ({
    label: `${bin.from.toLocaleString("en-US")}–${bin.to.toLocaleString("en-US")}`,
    value: bin.count,
    text: `${bin.count} tasks`,
  }));
  return barChart("Tokens per task (number of tasks by token count)", bars);
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; padding: 0 1rem; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; font-size: 0.9rem; }
th { background: #f3f3f3; }
td.no { color: ${UNRESOLVED_COLOR}; } td.yes { color: ${RESOLVED_COLOR}; font-weight: bold; }
svg { display: block; margin: 1rem 0; max-width: 100%; height: auto; }
`;

/**
 * A self-contained report page: a title, an introduction, the headline numbers, charts (already
 * escaped SVG) and one table row per task; `rowClass` gives a cell its class (for colour). No script,
 * no external asset; all text escaped.
 *
 * @example
 * reportPage({ title: "Loopwright eval: gpt-5 on tasks.jsonl", intro, headline, charts: [], columns, rows });
 */
export function reportPage(page: {
  title: string;
  intro: string;
  headline: [string, string][];
  charts: SafeHtml[];
  tableTitle: string;
  columns: readonly string[];
  rows: readonly string[][];
  cellClass?: (index: number, value: string) => string | undefined;
}): string {
  const rows = page.rows.map((cells) => {
    return html`<tr>${cells.map((value, index) => {
      const className = page.cellClass?.(index, value);
      return className === undefined ? html`<td>${value}</td>` : html`<td class="${className}">${value}</td>`;
    })}</tr>`;
  });
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title}</title>
<style>${new SafeHtml(STYLE)}</style>
</head>
<body>
<h1>${page.title}</h1>
<p>${page.intro}</p>
<table>${page.headline.map(([label, value]) => html`<tr><th>${label}</th><td>${value}</td></tr>`)}</table>
${page.charts}
<h2>${page.tableTitle}</h2>
<table>
<tr>${page.columns.map((column) => html`<th>${column}</th>`)}</tr>
${rows}
</table>
</body>
</html>
`.value;
}

/**
 * `report.html`: the same numbers as report.md plus two charts (resolve rate by task size, tokens per
 * task) as inline SVG, in one self-contained file — no script, no external asset; all text escaped.
 *
 * @example
 * await writeFile("run/report.html", renderHtmlReport(meta, results, summarizeResults(results)));
 */
export function renderHtmlReport(meta: RunMeta, results: readonly EvalResult[], summary: RunSummary): string {
  return reportPage({
    title: `Loopwright eval: ${meta.model} on ${meta.task_set}`,
    intro: `Started ${meta.started_at}. Resolved means every FAIL_TO_PASS and PASS_TO_PASS test passed after the held-back test changes were applied.`,
    headline: headline(meta, summary),
    charts: [sizeChart(summary), tokensChart(results)],
    tableTitle: "Tasks",
    columns: TASK_COLUMNS,
    rows: results.map(taskRow),
    cellClass: (index, value) => (index === 1 ? value : undefined),
  });
}
