import { describe, expect, it } from "vitest";
import { compareRuns } from "../../src/eval/compare.ts";
import { renderHtmlReport } from "../../src/eval/report-html.ts";
import { markdownTable, renderMarkdownReport } from "../../src/eval/report-markdown.ts";
import type { RunMeta } from "../../src/eval/results.ts";
import { summarizeResults } from "../../src/eval/summary.ts";
import { barChart } from "../../src/eval/svg-charts.ts";
import { result } from "./helpers/results.ts";

const meta: RunMeta = {
  model: "gpt-5",
  api: "responses",
  task_set: "tasks.jsonl",
  tasks: 3,
  started_at: "2025-01-01T00:00:00Z",
};
const results = [
  result({
    instance_id: "evil|<script>alert(1)</script>",
    resolved: true,
    failure: null,
    tests: {
      fail_to_pass: { passed: 1, total: 1, failed: [] },
      pass_to_pass: { passed: 4, total: 4, failed: [] },
    },
    tokens: { input: 9000, cached: 1000, output: 1000, total: 10_000 },
  }),
  result({
    instance_id: "b",
    failure: "tests_fail",
    size: 40,
    tokens: { input: 1, cached: 0, output: 1, total: 2000 },
  }),
];

describe("report.md", () => {
  const report = renderMarkdownReport(meta, results, summarizeResults(results));

  it("states the resolve rate with its interval, the failures, cost and time, from the results", () => {
    expect(report).toContain("# Loopwright eval: gpt-5 on tasks.jsonl");
    expect(report).toContain("| Tasks | 2 of the 3 in the set (partial run) |");
    expect(report).toContain("| Resolved | 1 of 2: 50.0% (95% CI 9.5%–90.5%) |");
    expect(report).toContain("| Not resolved | tests fail: 1 |");
    expect(report).toContain("| Cost | $0.0100 per task, $0.0200 in all |");
    expect(report).toContain("| Time per task | 10.0 s mean, 10.0 s median (20.0 s in all) |");
    expect(report).toContain("| Tokens per task | 6,000 |");
    expect(report).toContain("| 1–5 lines | 1 | 1 | 100.0% |");
    expect(report).toContain("| 21–50 lines | 1 | 0 | 0.0% |");
  });

  it("escapes pipes so a task id cannot break the table", () => {
    expect(report).toContain(
      "| evil\\|<script>alert(1)</script> | yes |  | 1/1 | 4/4 | 4 | 10,000 | $0.0100 | 10.0 s |",
    );
    expect(markdownTable(["a"], [["x\ny"]])).toBe("| a |\n| --- |\n| x y |");
  });
});

describe("report.html", () => {
  const page = renderHtmlReport(meta, results, summarizeResults(results));

  it("is one self-contained page with both charts as inline SVG", () => {
    expect(page.startsWith("<!doctype html>")).toBe(true);
    expect(page.match(/<svg /g)).toHaveLength(2);
    expect(page).toContain("Resolve rate by task size");
    expect(page).toContain("Tokens per task (green: resolved)");
    expect(page).not.toMatch(/<script|<link|<img|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it("escapes every text from the results", () => {
    expect(page).not.toContain("<script>alert(1)</script>");
    expect(page).toContain("evil|&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("shows the same numbers as report.md", () => {
    expect(page).toContain("<th>Resolved</th><td>1 of 2: 50.0% (95% CI 9.5%–90.5%)</td>");
    expect(page).toContain("100.0% (1/1)");
    expect(page).toContain("0.0% (0/1)");
  });

  it("draws a histogram of tokens instead of one bar per task for large runs", () => {
    const many = Array.from({ length: 100 }, (_, index) =>
      result({ instance_id: `t${index}`, tokens: { input: 0, cached: 0, output: 0, total: index * 100 } }),
    );
    const large = renderHtmlReport({ ...meta, tasks: 100 }, many, summarizeResults(many));
    expect(large).toContain("number of tasks by token count");
    expect(large.match(/ tasks<\/text>/g)).toHaveLength(10);
  });
});

describe("barChart", () => {
  it("scales bars to the maximum and escapes labels", () => {
    const svg = barChart("T & t", [
      { label: "<a>", value: 1, text: "one" },
      { label: "b", value: 0.5, text: "half" },
    ]).value;
    expect(svg).toContain("<title>T &amp; t</title>");
    expect(svg).toContain("&lt;a&gt;");
    expect(svg).toMatch(/width="380\.0" height="16"/);
    expect(svg).toMatch(/width="190\.0" height="16"/);
  });
});

describe("compareRuns", () => {
  it("puts runs side by side, then each task's outcome per run", () => {
    const other = [result({ instance_id: "b", resolved: true, failure: null }), result({ instance_id: "c" })];
    const table = compareRuns([
      { folder: "gpt-5", meta, results },
      { folder: "mini", meta: { ...meta, model: "gpt-5-mini" }, results: other },
    ]);
    expect(table).toContain("| gpt-5 | gpt-5 | 2 of 3 | 1 | 50.0% (9.5%–90.5%) | $0.0100 | 10.0 s |");
    expect(table).toContain("| mini | gpt-5-mini | 2 of 3 | 1 |");
    expect(table).toContain("| b | ✗ tests fail | ✓ |");
    expect(table).toContain("| c | — | ✗ tests fail |");
  });
});
