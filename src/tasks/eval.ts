import { z } from "zod";
import { createEvalJobRunner, type EvalJobDependencies } from "../eval/eval-job.ts";
import {
  EVAL_FATAL_SIDE_EFFECT,
  EVAL_FILES,
  type EvalRequest,
  evalRequestSchema,
} from "../eval/eval-request.ts";
import type { EvalResult } from "../eval/results.ts";
import {
  createReviewJobRunner,
  type ReviewEvalRequest,
  reviewEvalRequestSchema,
} from "../eval/review-job.ts";
import type { ReviewResult } from "../eval/review-score.ts";
import { redactSecrets } from "../redact.ts";
import type { Queryable } from "../store/database.ts";
import { readTaskFile, writeTaskFile } from "../store/task-files.ts";
import type { TaskOutcome } from "../store/tasks.ts";
import { stoppedOutcome, type TaskContext, type TaskHandler, taskStop } from "../worker/task-handler.ts";
import { RESULT_SIDE_EFFECT } from "./submit-result.ts";

export type EvalHandlerDependencies = EvalJobDependencies & {
  /** Where the task's request is read from and its result, diff and test output are written to. */
  db: Queryable;
};

/** A request `eval run` or `eval review` stored with the task, or why it cannot be used. */
function parseRequest<T>(text: string, taskId: number, schema: z.ZodType<T>): T | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `eval task ${taskId}'s request is not JSON: ${(error as Error).message}`;
  }
  const parsed = schema.safeParse(json);
  return parsed.success
    ? parsed.data
    : `eval task ${taskId} has a malformed request:\n${z.prettifyError(parsed.error)}`;
}

/** The request stored with the task — a fix task's (`eval run`) or a review's (`eval review`) — or why there is none. */
async function readRequest(
  db: Queryable,
  taskId: number,
): Promise<{ fix: EvalRequest } | { review: ReviewEvalRequest } | string> {
  const text = await readTaskFile(db, taskId, EVAL_FILES.request);
  if (text !== undefined) {
    const fix = parseRequest(text, taskId, evalRequestSchema);
    return typeof fix === "string" ? fix : { fix };
  }
  const reviewText = await readTaskFile(db, taskId, EVAL_FILES.reviewRequest);
  if (reviewText !== undefined) {
    const review = parseRequest(reviewText, taskId, reviewEvalRequestSchema);
    return typeof review === "string" ? review : { review };
  }
  return `eval task ${taskId} has no request (${EVAL_FILES.request}); eval tasks are queued by loopwright eval run`;
}

/** The result in words, as `loopwright tasks` and the dashboard show a task's result. */
function verdict(result: EvalResult): string {
  if (result.resolved) return "resolved";
  return `not resolved: ${result.failure}${result.detail ? ` (${result.detail.split("\n")[0]})` : ""}`;
}

/** A review's result in words. */
function reviewVerdict(result: ReviewResult): string {
  if (result.failure)
    return `review failed: ${result.failure}${result.detail ? ` (${result.detail.split("\n")[0]})` : ""}`;
  if (result.expected === "bug") return result.found ? "seeded bug found" : "seeded bug missed";
  return `${result.false_findings} false finding${result.false_findings === 1 ? "" : "s"}`;
}

/**
 * The `eval` task kind: one task of an eval set, queued by `loopwright eval run` with its request in
 * the task's files, run by any worker (`createEvalJobRunner`) — or one pull request of a review set,
 * queued by `loopwright eval review` with a review request (`createReviewJobRunner`; its result line
 * alone is written, succeeding when the review ran). The result line, the agent's diff and
 * the scoring test output go to the task's files (the last two redacted like step logs) for the run
 * to collect; the task succeeds when it was scored — resolved or not — and fails when it could not run
 * (a result of class `error`) or its model cannot be used at all (side effect `evalFatal`, no result,
 * so that a resumed run tries it again).
 *
 * @example
 * handlers.set("eval", createEvalHandler({ settings, workspaces, log, db }));
 */
export function createEvalHandler(deps: EvalHandlerDependencies): TaskHandler {
  const runJob = createEvalJobRunner(deps);
  const runReview = createReviewJobRunner(deps);
  return async (context: TaskContext): Promise<TaskOutcome> => {
    const { task, signal } = context;
    const stored = await readRequest(deps.db, task.id);
    if (typeof stored === "string") return { status: "failed", error: stored };
    const request = "fix" in stored ? stored.fix : stored.review;
    const outcome =
      "fix" in stored ? await runJob(context, stored.fix) : await runReview(context, stored.review);
    if (outcome.kind === "interrupted") {
      const stop = taskStop(signal);
      // A shutdown or a lost claim hands the task back for a retry elsewhere.
      if (!stop) throw signal.reason ?? new Error("the eval task was interrupted");
      return stoppedOutcome(stop, "stopped on request");
    }
    if (outcome.kind === "fatal") {
      await context.recordSideEffect(EVAL_FATAL_SIDE_EFFECT, outcome.message);
      return { status: "failed", error: `the model ${request.modelName} cannot be used: ${outcome.message}` };
    }
    if (!("patch" in outcome)) {
      const { result } = outcome;
      await writeTaskFile(deps.db, task.id, EVAL_FILES.result, JSON.stringify(result));
      await context.recordSideEffect(RESULT_SIDE_EFFECT, reviewVerdict(result));
      return result.failure === "error"
        ? { status: "failed", error: result.detail ?? "the review could not run" }
        : { status: "succeeded" };
    }
    const { result, patch, testOutput } = outcome;
    if (patch !== null) await writeTaskFile(deps.db, task.id, EVAL_FILES.patch, redactSecrets(patch));
    if (testOutput !== null) {
      await writeTaskFile(deps.db, task.id, EVAL_FILES.tests, redactSecrets(testOutput));
    }
    await writeTaskFile(deps.db, task.id, EVAL_FILES.result, JSON.stringify(result));
    await context.recordSideEffect(RESULT_SIDE_EFFECT, verdict(result));
    return result.failure === "error"
      ? { status: "failed", error: result.detail ?? "the task could not run" }
      : { status: "succeeded" };
  };
}
