import type { AgentResult } from "../agent/loop.ts";
import type { ModelClient } from "../agent/model.ts";
import {
  type ReviewSubmission,
  reviewSubmissionSchema,
  submitReviewTool,
} from "../agent/tools/submit-review.ts";
import type { RepoConfig } from "../config/repo-config.ts";
import { partitionFiles, type SkippedFile } from "../review/file-filter.ts";
import { type DiffFile, parsePullDiff } from "../review/pull-diff.ts";
import type { TaskContext } from "../worker/task-handler.ts";
import {
  diffCommits,
  fileLinesAt,
  type ReviewRange,
  restoreFromCommit,
  reviewRange,
} from "../workspace/review-git.ts";
import type { Workspace, WorkspaceRequest } from "../workspace/workspace.ts";
import {
  type AgentSessionDependencies,
  type AgentSessionResult,
  runAgentSession,
  sessionLimits,
} from "./agent-session.ts";
import {
  fitDiffBudget,
  REVIEW_DIFF_BUDGET_CHARS,
  REVIEW_INSTRUCTIONS,
  reviewPrompt,
} from "./review-prompt.ts";

/** What the review learnt in its workspace before the workspace went away. */
export type ReviewScene = {
  range: ReviewRange;
  /** Every file of the pull request's diff (anchors are checked against all of them). */
  files: DiffFile[];
  /** The files the model reviews: the rest are in `skipped`, with the reason. */
  reviewed: DiffFile[];
  skipped: SkippedFile[];
  /** Lines of the head (RIGHT) and merge-base (LEFT) versions of files, read on demand. */
  lines: Map<string, string[] | undefined>;
};

/**
 * The key of a file's lines in `ReviewScene.lines`.
 *
 * @example
 * scene.lines.get(sideKey("RIGHT", "src/sum.js")); // the head version's lines
 */
export const sideKey = (side: "RIGHT" | "LEFT", path: string) => `${side}:${path}`;

/**
 * The pull request a review session reviews, as the task text names it (`repository` may be an eval
 * case's repository rather than `owner/name`; `baseRef` is the branch whose merge-base with the head
 * starts the diff).
 */
export type ReviewedPull = Pick<
  Parameters<typeof reviewPrompt>[0],
  "repository" | "number" | "title" | "body" | "author" | "baseRef" | "fork"
>;

export type ReviewSessionRequest = {
  /** Where the workspace comes from: checked out at the pull request's head. */
  workspace: Omit<WorkspaceRequest, "signal">;
  model: ModelClient;
  /** The repository's `.github/loopwright.yml`: sandbox, budgets, `review.*`. */
  config: RepoConfig;
  pull: ReviewedPull;
  /** The last reviewed head for an incremental review, null for a full one. */
  lastReviewed: string | null;
  /** What the person asking for the review added (`/agent review …`); empty when nothing. */
  requestInstructions: string;
  /** Files whose head version is read besides the findings' (earlier open findings'). */
  alsoRead?: readonly string[];
  /** Installation token for the fetch (absent for local remotes). */
  token?: string;
};

export type ReviewSessionResult = {
  session: AgentSessionResult;
  /** Absent when the session ended before the workspace was looked at (no diff was read). */
  scene: ReviewScene | undefined;
  /** What the model submitted with `submit_review`; absent when it ended any other way. */
  submission: ReviewSubmission | undefined;
};

/**
 * Git on the workspace's mirror (the reviewed commits are read there, never from the workspace's
 * `.git`, which the agent could have changed).
 *
 * @example
 * await diffCommits(mirrorGit(workspace, signal), range.mergeBase, range.head);
 */
export const mirrorGit = (workspace: Workspace, signal: AbortSignal) => ({
  mirrorPath: workspace.mirrorPath,
  repository: workspace.repository,
  signal,
});

async function prepareScene(
  workspace: Workspace,
  options: {
    baseRef: string;
    lastReviewed: string | null;
    ignore: string[];
    fork: boolean;
    signal: AbortSignal;
  },
): Promise<ReviewScene> {
  const git = mirrorGit(workspace, options.signal);
  const range = await reviewRange(git, {
    baseRef: options.baseRef,
    head: workspace.baseSha,
    lastReviewed: options.lastReviewed,
  });
  const all = parsePullDiff(await diffCommits(git, range.mergeBase, range.head));
  const { reviewed, skipped } = partitionFiles(all, options.ignore);
  // The project's instructions for the agent come from the base, never from a fork author's head.
  if (options.fork) await restoreFromCommit(git, workspace.path, range.mergeBase, "AGENTS.md");
  return { range, files: all, reviewed, skipped, lines: new Map() };
}

/** Reads the versions of the files the findings (and `alsoRead`, on the head) sit in. */
async function readFindingFiles(
  workspace: Workspace,
  scene: ReviewScene,
  agent: AgentResult,
  alsoRead: readonly string[],
  signal: AbortSignal,
): Promise<void> {
  const git = mirrorGit(workspace, signal);
  const submitted = reviewSubmissionSchema.safeParse(agent.result);
  const wanted = new Set<string>();
  for (const finding of submitted.success ? submitted.data.findings : []) {
    const file = scene.files.find(
      (candidate) => candidate.path === finding.path || candidate.previousPath === finding.path,
    );
    wanted.add(sideKey(finding.side, file?.path ?? finding.path));
  }
  for (const path of alsoRead) wanted.add(sideKey("RIGHT", path));
  for (const key of wanted) {
    const [side, ...rest] = key.split(":");
    const path = rest.join(":");
    const commit = side === "LEFT" ? scene.range.mergeBase : scene.range.head;
    const file = scene.files.find((candidate) => candidate.path === path);
    const at = side === "LEFT" ? (file?.previousPath ?? path) : path;
    scene.lines.set(key, await fileLinesAt(git, commit, at));
  }
}

/**
 * The agent session of a review, without GitHub: a workspace at the pull request's head, the diff
 * from git in it (merge-base with `baseRef`..head, or since the last reviewed commit; lockfiles,
 * generated files and `review.ignore` left out and listed), the review instructions and task text,
 * `submit_review` as the finishing tool, the repository's sandbox (a fork's with the network off and
 * no setup command) and budgets (tokens capped by `review.max_tokens`). Nothing is committed. The
 * review task posts what it returns; `eval review` scores it.
 *
 * @example
 * const { session, scene, submission } = await runReviewSession(deps, context, { workspace, model, config, pull, lastReviewed: null, requestInstructions: "" });
 * if (submission) console.log(submission.findings.length);
 */
export async function runReviewSession(
  deps: AgentSessionDependencies,
  context: TaskContext,
  request: ReviewSessionRequest,
): Promise<ReviewSessionResult> {
  const { config, pull } = request;
  let scene: ReviewScene | undefined;
  const limits = sessionLimits(config);
  const session = await runAgentSession(deps, context, {
    workspace: request.workspace,
    model: request.model,
    instructions: REVIEW_INSTRUCTIONS,
    extraTools: [submitReviewTool],
    prompt: async (workspace) => {
      scene = await prepareScene(workspace, {
        baseRef: pull.baseRef,
        lastReviewed: request.lastReviewed,
        ignore: config.review.ignore,
        fork: pull.fork,
        signal: context.signal,
      });
      const { range } = scene;
      const reviewed = new Set(scene.reviewed.map((file) => file.path));
      const shownFiles = range.since
        ? parsePullDiff(
            await diffCommits(mirrorGit(workspace, context.signal), range.since, range.head),
          ).filter((file) => reviewed.has(file.path))
        : scene.reviewed;
      const { shown, skipped } = fitDiffBudget(shownFiles, REVIEW_DIFF_BUDGET_CHARS);
      scene.skipped.push(...skipped);
      return reviewPrompt({
        repository: pull.repository,
        number: pull.number,
        title: pull.title,
        body: pull.body,
        author: pull.author,
        baseRef: pull.baseRef,
        mergeBase: range.mergeBase,
        head: range.head,
        since: range.since,
        diff: shown.map((file) => file.text).join(""),
        skipped: scene.skipped,
        repositoryInstructions: config.review.instructions,
        requestInstructions: request.requestInstructions,
        fork: pull.fork,
      });
    },
    sandbox: {
      ...limits.sandbox,
      // A fork's code never runs with network, and its setup command would run the fork's scripts.
      ...(pull.fork && { network: false, setup: null }),
    },
    budget: {
      ...limits.budget,
      maxTotalTokens: Math.min(
        limits.budget.maxTotalTokens ?? Number.POSITIVE_INFINITY,
        config.review.max_tokens,
      ),
    },
    ...(request.token !== undefined && { token: request.token }),
    branchPolicy: "task",
    afterAgent: async (workspace, agent) => {
      if (!scene || agent.outcome !== "completed") return;
      await readFindingFiles(workspace, scene, agent, request.alsoRead ?? [], context.signal);
    },
  });
  const submitted = reviewSubmissionSchema.safeParse(session.agent.result);
  return { session, scene, submission: submitted.success ? submitted.data : undefined };
}
