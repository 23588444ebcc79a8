import { writeFile } from "node:fs/promises";
import path from "node:path";
import { EVAL_FILES } from "./eval-request.ts";
import type { ReviewEvalRequest } from "./review-job.ts";
import { renderReviewHtmlReport, renderReviewReport } from "./review-report.ts";
import {
  parseReviewResults,
  type ReviewResult,
  reviewNotRun,
  scoreReview,
  summarizeReviews,
} from "./review-score.ts";
import type { ReviewCase } from "./review-set.ts";
import type { RunKind } from "./run-set.ts";

/** A review result's line of progress. */
function describeReview(result: ReviewResult): string {
  const time = `${(result.wall_ms / 1000).toFixed(1)} s`;
  if (result.failure)
    return `review failed: ${result.failure}${result.detail ? ` — ${result.detail.split("\n")[0]}` : ""}, ${time}`;
  const findings = `${result.findings.length} finding${result.findings.length === 1 ? "" : "s"}`;
  if (result.expected === "bug")
    return `seeded bug ${result.found ? "found" : "missed"} (${findings}), ${time}`;
  return `clean: ${result.false_findings} false finding${result.false_findings === 1 ? "" : "s"}, ${time}`;
}

/**
 * The kind of run `eval review` makes: each pull request of a review set queued as an eval task with
 * a review request, its result a `ReviewResult`, its report recall and false findings.
 *
 * @example
 * await runEvalSet(queue, { kind: reviewRunKind(), tasks: parseReviewSet(text, file), … });
 */
export function reviewRunKind(): RunKind<ReviewCase, ReviewResult> {
  return {
    runKind: "review",
    requestFile: EVAL_FILES.reviewRequest,
    request: (task, common): ReviewEvalRequest => ({ task, ...common }),
    errorResult: (task, modelName, message, wallMs) =>
      scoreReview(task, [], reviewNotRun(modelName, "error", message, wallMs)),
    parseResults: parseReviewResults,
    describe: describeReview,
    async writeReports(outDir, meta, results) {
      const summary = summarizeReviews(results);
      await writeFile(path.join(outDir, "report.md"), renderReviewReport(meta, results, summary));
      await writeFile(path.join(outDir, "report.html"), renderReviewHtmlReport(meta, results, summary));
    },
  };
}
