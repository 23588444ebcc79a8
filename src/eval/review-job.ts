import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ModelError } from "../agent/model.ts";
import { runReviewSession } from "../tasks/review-session.ts";
import { slugify } from "../tasks/task-text.ts";
import type { TaskContext } from "../worker/task-handler.ts";
import { GitError, runGit } from "../workspace/git.ts";
import { DEFAULT_BRANCH_PREFIX } from "../workspace/workspace.ts";
import { createRepositoryCopies, type EvalJobDependencies } from "./eval-job.ts";
import { modelForRequest, reviewOracleModel } from "./eval-models.ts";
import { evalModelSchema, priceSchema, REPO_CONFIG_STEP } from "./eval-request.ts";
import { FATAL_MODEL_ERRORS } from "./eval-task.ts";
import { type RepositoryReader, repoConfigAt } from "./history.ts";
import { costUsd } from "./prices.ts";
import { type ReviewFailure, type ReviewResult, reviewNotRun, scoreReview } from "./review-score.ts";
import { type ReviewCase, reviewCaseSchema } from "./review-set.ts";
import { taskRepository } from "./run-repositories.ts";
import { fileSafeId } from "./task-set.ts";

/**
 * Everything one `eval review` task needs, as the run queues it (in the task's file
 * `EVAL_FILES.reviewRequest`): the pull request of the set, where its repository is, and the model.
 */
export const reviewEvalRequestSchema = z.object({
  task: reviewCaseSchema,
  /** Where the worker fetches the repository: a URL, or a path on the worker's machine. */
  source: z.string().min(1),
  model: evalModelSchema,
  modelName: z.string().min(1),
  price: priceSchema.nullable(),
});
export type ReviewEvalRequest = z.infer<typeof reviewEvalRequestSchema>;

/** What became of a reviewed pull request: its result, or a model no other case could use either. */
export type ReviewEvalOutcome =
  | { kind: "scored"; result: ReviewResult }
  | { kind: "fatal"; message: string }
  | { kind: "interrupted" };

/** The base branch of a case's repository: the review's diff starts at its merge-base with the head. */
const BASE_BRANCH = "base";
const AUTHOR = ["-c", "user.name=Loopwright eval", "-c", "user.email=loopwright@localhost"];

/**
 * A bare repository for one case, holding its pull request and nothing after it: `base` at the base
 * commit, and `main` at one commit on top of it with the pull request's tree — the head commit's
 * (cloned through git's transport, as for an eval task) with the case's patch applied.
 *
 * @example
 * const head = await caseRepository(reader, reviewCase, "…/tasks/12-clamp-seeded.git", signal);
 * @throws Error when the base is not an ancestor of the head, or the patch does not apply
 */
async function caseRepository(
  reader: RepositoryReader,
  reviewCase: ReviewCase,
  target: string,
  signal: AbortSignal,
): Promise<string> {
  const start = reviewCase.head_commit ?? reviewCase.base_commit;
  await taskRepository(reader.dir, start, target, signal);
  const git = (operation: string, args: string[], cwd = target) =>
    runGit(args, { operation, repository: reader.display, cwd, signal });
  if (reviewCase.head_commit !== undefined) {
    try {
      await git("merge-base", [
        "merge-base",
        "--is-ancestor",
        reviewCase.base_commit,
        reviewCase.head_commit,
      ]);
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      throw new Error(`base_commit ${reviewCase.base_commit} is not an ancestor of head_commit ${start}`);
    }
  }
  await git("update-ref", ["update-ref", `refs/heads/${BASE_BRANCH}`, reviewCase.base_commit]);
  if (reviewCase.patch !== undefined) {
    // Applied in a clone of the case's repository and pushed back: git's own patch reader, no sandbox needed.
    const work = `${target}.work`;
    const patchFile = `${target}.patch`;
    try {
      await rm(work, { recursive: true, force: true });
      await mkdir(path.dirname(work), { recursive: true });
      await git("clone", ["clone", "--quiet", "--template=", target, work], path.dirname(target));
      await writeFile(
        patchFile,
        reviewCase.patch.endsWith("\n") ? reviewCase.patch : `${reviewCase.patch}\n`,
      );
      try {
        await git("apply", ["apply", "--index", "--whitespace=nowarn", patchFile], work);
      } catch (error) {
        if (!(error instanceof GitError)) throw error;
        throw new Error(`the case's patch does not apply to ${start.slice(0, 12)}: ${error.stderr.trim()}`);
      }
      await git(
        "commit",
        [...AUTHOR, "commit", "--quiet", "--no-verify", "-m", reviewCase.title || reviewCase.instance_id],
        work,
      );
      await git("push", ["push", "--quiet", "origin", "HEAD:refs/heads/main"], work);
    } finally {
      await rm(work, { recursive: true, force: true });
      await rm(patchFile, { force: true });
    }
  }
  // One commit on top of the base, the same for clean and seeded pull requests: a seeded bug in a
  // commit of its own would be one `git log -p` away.
  const tree = (await git("rev-parse", ["rev-parse", "refs/heads/main^{tree}"])).stdout.trim();
  const message = reviewCase.title || reviewCase.instance_id;
  const squashed = (
    await git("commit-tree", [...AUTHOR, "commit-tree", tree, "-p", reviewCase.base_commit, "-m", message])
  ).stdout.trim();
  await git("update-ref", ["update-ref", "refs/heads/main", squashed]);
  return squashed;
}

/** Runs one `eval review` request in a task's context; see `createReviewJobRunner`. */
export type ReviewJobRunner = (
  context: TaskContext,
  request: ReviewEvalRequest,
) => Promise<ReviewEvalOutcome>;

/**
 * What a worker does with one pull request of a review set: the worker's copy of its repository, a
 * repository of the case (`caseRepository`), the repository's config at the base commit, the model,
 * and the review task's own agent session (`runReviewSession`: the same instructions, `submit_review`,
 * sandbox and budgets), without GitHub; its findings are scored against the seeded bug. A case that
 * cannot run becomes a result of class `error`; a model that cannot be used at all is `fatal`.
 *
 * @example
 * const runReview = createReviewJobRunner({ settings, workspaces, log });
 * const outcome = await runReview(context, request);
 */
export function createReviewJobRunner(deps: EvalJobDependencies): ReviewJobRunner {
  const cacheDir = path.join(deps.settings.dataDir, "eval");
  const copyHolding = createRepositoryCopies(cacheDir);

  return async (context, request) => {
    const { task: reviewCase } = request;
    const { signal } = context;
    const started = performance.now();
    const remote = path.join(
      cacheDir,
      "tasks",
      `${context.task.id}-${fileSafeId(reviewCase.instance_id)}.git`,
    );
    try {
      const commits = [reviewCase.base_commit, ...(reviewCase.head_commit ? [reviewCase.head_commit] : [])];
      const reader = await copyHolding(request.source, reviewCase.repo, commits, signal);
      const head = await caseRepository(reader, reviewCase, remote, signal);
      const { config, problems } = await repoConfigAt(reader, reviewCase.base_commit);
      if (problems.length > 0) await context.steps.record({ kind: REPO_CONFIG_STEP, payload: { problems } });
      const model = await modelForRequest(
        request,
        async () => reviewOracleModel(reviewCase),
        deps.settings.model,
      );
      const { session, submission } = await runReviewSession(deps, context, {
        workspace: {
          url: remote,
          target: { kind: "commit", sha: head },
          branch: `eval-review-${slugify(reviewCase.instance_id, 40)}`,
          branchPrefix: DEFAULT_BRANCH_PREFIX,
        },
        model,
        config,
        pull: {
          repository: reviewCase.repo,
          number: 1,
          title: reviewCase.title,
          body: reviewCase.description,
          author: "author",
          baseRef: BASE_BRANCH,
          fork: false,
        },
        lastReviewed: null,
        requestInstructions: "",
      });
      const { agent } = session;
      if (agent.outcome === "aborted" || signal.aborted) return { kind: "interrupted" };
      if (agent.modelError && FATAL_MODEL_ERRORS.includes(agent.modelError.kind)) {
        return { kind: "fatal", message: agent.modelError.message };
      }
      const failure: ReviewFailure | null =
        agent.outcome === "budget_exhausted"
          ? "budget"
          : agent.outcome !== "completed"
            ? "error"
            : submission
              ? null
              : "no_review";
      const detail =
        failure === "no_review"
          ? `the model ended without calling submit_review: ${agent.message.slice(0, 300)}`
          : failure === null
            ? null
            : agent.message;
      const { totals } = agent;
      const tokens = {
        input: totals.input,
        cached: totals.cached,
        output: totals.output,
        total: totals.total,
      };
      return {
        kind: "scored",
        result: scoreReview(reviewCase, submission?.findings ?? [], {
          failure,
          detail,
          wallMs: performance.now() - started,
          model: request.modelName,
          steps: totals.steps,
          toolCalls: totals.toolCalls,
          tokens,
          costUsd: request.price ? costUsd(tokens, request.price) : null,
          agentOutcome: agent.outcome,
        }),
      };
    } catch (error) {
      if (signal.aborted) return { kind: "interrupted" };
      // A worker without the named model's key or endpoint cannot run any case of the run.
      if (error instanceof ModelError && FATAL_MODEL_ERRORS.includes(error.kind)) {
        return { kind: "fatal", message: error.message };
      }
      const message = error instanceof Error ? error.message : String(error);
      const facts = reviewNotRun(request.modelName, "error", message, performance.now() - started);
      return { kind: "scored", result: scoreReview(reviewCase, [], facts) };
    } finally {
      await rm(remote, { recursive: true, force: true });
    }
  };
}
