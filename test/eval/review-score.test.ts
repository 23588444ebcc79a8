import { describe, expect, it } from "vitest";
import type { SubmittedFinding } from "../../src/agent/tools/submit-review.ts";
import { applyFileDiff } from "../../src/eval/apply-diff.ts";
import { renderReviewHtmlReport, renderReviewReport } from "../../src/eval/review-report.ts";
import {
  matchesBug,
  parseReviewResults,
  type ReviewResult,
  reviewNotRun,
  scoreReview,
  summarizeReviews,
} from "../../src/eval/review-score.ts";
import { type Mutation, mutationDiff, mutationsOf, pickMutation } from "../../src/eval/review-seed.ts";
import { parseReviewSet } from "../../src/eval/review-set.ts";
import { TaskSetError } from "../../src/eval/task-set.ts";
import { type FileDiff, parseUnifiedDiff } from "../../src/eval/unified-diff.ts";
import { wilsonInterval } from "../../src/eval/wilson.ts";

const BASE = "4f1c2ab93e01aa";
const seeded = {
  instance_id: "clamp-seeded",
  repo: "app",
  base_commit: BASE,
  patch: "diff --git a/src/clamp.js b/src/clamp.js\n",
  bug: { path: "src/clamp.js", line: 10 },
};
const clean = {
  instance_id: "clamp-clean",
  repo: "app",
  base_commit: BASE,
  head_commit: "9a9b0c1d2e",
  clean: true,
};
const [seededCase, cleanCase] = parseReviewSet(
  `${JSON.stringify(seeded)}\n\n${JSON.stringify(clean)}\n`,
  "reviews.jsonl",
) as [ReturnType<typeof parseReviewSet>[number], ReturnType<typeof parseReviewSet>[number]];

const finding = (
  start: number,
  end = start,
  overrides: Partial<SubmittedFinding> = {},
): SubmittedFinding => ({
  title: "Off by one",
  body: "clamp(10, 0, 10) returns 9.",
  priority: "P1",
  confidence: 0.8,
  path: "src/clamp.js",
  start_line: start,
  end_line: end,
  side: "RIGHT",
  ...overrides,
});

const ran = (failure: ReviewResult["failure"] = null) => ({
  ...reviewNotRun("gpt-5", "error", "", 1500),
  failure,
  detail: null,
  steps: 3,
  tokens: { input: 1000, cached: 0, output: 100, total: 1100 },
});

describe("parseReviewSet", () => {
  it("reads seeded and clean pull requests, with defaults for title and description", () => {
    expect(seededCase).toMatchObject({ bug: { path: "src/clamp.js", line: 10 }, title: "", description: "" });
    expect(cleanCase).toMatchObject({ clean: true, head_commit: "9a9b0c1d2e" });
  });

  it.each([
    [{ ...seeded, patch: undefined }, /head_commit: expected head_commit or patch/],
    [{ ...seeded, clean: true }, /bug: expected either "bug"/],
    [{ ...clean, clean: undefined }, /bug: expected either "bug"/],
    [{ ...seeded, bug: { path: "a.js", line: 0 } }, /bug\.line/],
    [{ ...seeded, base_commit: "main" }, /base_commit: expected a commit id/],
  ])("refuses a malformed line, naming the field (%#)", (line, message) => {
    expect(() => parseReviewSet(JSON.stringify(line), "reviews.jsonl")).toThrow(message);
    expect(() => parseReviewSet(JSON.stringify(line), "reviews.jsonl")).toThrow(
      /reviews\.jsonl line 1: not a review case/,
    );
  });

  it("refuses a repeated id and a line that is not JSON", () => {
    expect(() => parseReviewSet(`${JSON.stringify(seeded)}\n${JSON.stringify(seeded)}`, "r.jsonl")).toThrow(
      /r\.jsonl line 2: instance_id "clamp-seeded" is already used on line 1/,
    );
    expect(() => parseReviewSet("{", "r.jsonl")).toThrow(TaskSetError);
  });
});

describe("matchesBug", () => {
  const bug = { path: "src/clamp.js", line: 10 };
  it.each([
    [10, 10, true],
    [7, 7, true],
    [13, 13, true],
    [6, 6, false],
    [14, 14, false],
    [1, 6, false],
    [1, 7, true],
    [12, 20, true],
  ])("lines %i–%i: %s (within 3 lines of line 10)", (start, end, expected) => {
    expect(matchesBug(finding(start, end), bug)).toBe(expected);
  });

  it("needs the same file, on the pull request's side", () => {
    expect(matchesBug(finding(10, 10, { path: "src/other.js" }), bug)).toBe(false);
    expect(matchesBug(finding(10, 10, { side: "LEFT" }), bug)).toBe(false);
    expect(matchesBug(finding(10, 10, { path: "./src/clamp.js" }), bug)).toBe(true);
  });
});

describe("scoreReview and summarizeReviews", () => {
  it("marks the findings that match a seeded bug; counts every finding on a clean pull request as false", () => {
    const found = scoreReview(seededCase, [finding(30), finding(11)], ran());
    expect(found).toMatchObject({ expected: "bug", found: true, matched: [1], false_findings: null });
    expect(found.findings[0]).not.toHaveProperty("body");
    const flagged = scoreReview(cleanCase, [finding(3), finding(30)], ran());
    expect(flagged).toMatchObject({ expected: "clean", found: null, matched: [], false_findings: 2 });
    // A failed review: a seeded bug is missed; a clean pull request has no count.
    expect(scoreReview(seededCase, [], ran("budget"))).toMatchObject({ found: false, failure: "budget" });
    expect(scoreReview(cleanCase, [], ran("no_review"))).toMatchObject({ false_findings: null });
  });

  it("gives recall with its Wilson interval and false findings per clean pull request that ran", () => {
    const results = [
      scoreReview(seededCase, [finding(10)], ran()),
      scoreReview({ ...seededCase, instance_id: "b" }, [finding(40)], ran()),
      scoreReview({ ...seededCase, instance_id: "c" }, [], ran("error")),
      scoreReview(cleanCase, [finding(3), finding(30)], ran()),
      scoreReview({ ...cleanCase, instance_id: "d" }, [], ran()),
      scoreReview({ ...cleanCase, instance_id: "e" }, [], ran("no_review")),
    ];
    const summary = summarizeReviews(results);
    expect(summary).toMatchObject({
      cases: 6,
      seeded: 3,
      found: 1,
      recall: 1 / 3,
      interval: wilsonInterval(1, 3),
      clean: 2,
      falseFindings: 2,
      falsePerClean: 1,
      cleanFlagged: 1,
      otherFindings: 1,
      failures: { no_review: 1, budget: 0, error: 1 },
      tokens: { total: 6600, mean: 1100 },
    });

    const report = renderReviewReport(
      { model: "gpt-5", api: "responses", task_set: "reviews.jsonl", tasks: 6, started_at: "2026-01-01" },
      results,
      summary,
    );
    expect(report).toContain("| Recall | 1 of 3 seeded bugs found: 33.3% (95% CI 6.1%–79.2%) |");
    expect(report).toContain("| False findings per clean pull request | 1.00 (2 on 2; 1 of them flagged) |");
    expect(report).toContain("| Reviews that failed | ended without submit_review: 1, error: 1 |");
    expect(report).toContain("| clamp-clean | clean | 2 false | src/clamp.js:3, src/clamp.js:30 |");
  });

  it("writes report.html as one escaped page", () => {
    const results = [
      scoreReview({ ...seededCase, instance_id: "evil<script>x</script>" }, [finding(10)], ran()),
    ];
    const page = renderReviewHtmlReport(
      { model: "gpt-5", api: null, task_set: "r.jsonl", tasks: 1, started_at: "2026-01-01" },
      results,
      summarizeReviews(results),
    );
    expect(page).not.toContain("<script>x</script>");
    expect(page).toContain("evil&lt;script&gt;x&lt;/script&gt;");
    expect(page).toContain('<td class="yes">found</td>');
  });

  it("has no rates without cases, and reads back what it writes", () => {
    expect(summarizeReviews([])).toMatchObject({ recall: null, interval: null, falsePerClean: null });
    const result = scoreReview(seededCase, [finding(10)], ran());
    expect(parseReviewResults(`${JSON.stringify(result)}\n{"cut`, "results.jsonl")).toEqual([result]);
    expect(() => parseReviewResults('{"instance_id":"x"}\n', "results.jsonl")).toThrow(
      /results\.jsonl line 1: not a result/,
    );
  });
});

describe("seeding bugs", () => {
  const file = [
    "export function last(items) {",
    "  if (items == null) return undefined;",
    '  const label = "a < b";',
    "  // if (a === b) nothing",
    "  for (let i = 0; i < items.length; i++) total += 1;",
    "  return items[items.length - 1];",
    "}",
  ];

  it("finds flipped comparisons, off-by-ones, flipped logic and removable null checks, not in strings or comments", () => {
    const found = mutationsOf(file, [1, 2, 3, 4, 5, 6, 7]).map((mutation) => [
      mutation.line,
      mutation.description,
    ]);
    expect(found).toEqual([
      [2, "removed null check: `if (items == null) return undefined;`"],
      [5, "off-by-one boundary: `<` → `<=`"],
      [5, "flipped comparison: `<` → `>`"],
      [6, "off-by-one: `- 1` → nothing"],
    ]);
    expect(mutationsOf(file, [1, 3, 4, 7])).toEqual([]);
  });

  it("picks by commit id, the same every time", () => {
    const mutations = mutationsOf(file, [2, 5, 6]);
    expect(pickMutation("00000003ffff", mutations)).toBe(mutations[3]);
    expect(pickMutation("00000003ffff", mutations)).toBe(pickMutation("00000003aaaa", mutations));
    expect(pickMutation("00000003", [])).toBeUndefined();
  });

  it.each([0, 1, 2, 3])(
    "writes a diff that applies to the file and makes exactly the mutation (%i)",
    (index) => {
      const mutation = mutationsOf(file, [2, 5, 6])[index] as Mutation;
      const [diff] = parseUnifiedDiff(mutationDiff("lib/last.js", file, mutation));
      const expected = [...file];
      if (mutation.to === null) expected.splice(mutation.line - 1, 1);
      else expected[mutation.line - 1] = mutation.to;
      expect(applyFileDiff(`${file.join("\n")}\n`, diff as FileDiff)).toBe(`${expected.join("\n")}\n`);
    },
  );
});
