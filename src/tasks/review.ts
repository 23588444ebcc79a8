import { z } from "zod";
import type { AgentResult } from "../agent/loop.ts";
import type { ReviewSubmission, SubmittedFinding } from "../agent/tools/submit-review.ts";
import type { RepoConfig } from "../config/repo-config.ts";
import {
  type CheckAnnotation,
  type CheckConclusion,
  completeCheckRun,
  startCheckRun,
} from "../github/check-runs.ts";
import type { GitHubClient } from "../github/client.ts";
import { type IssueTarget, upsertMarkedComment } from "../github/comments.ts";
import { withGitHubErrors } from "../github/errors.ts";
import { findMarker } from "../github/markdown.ts";
import {
  renderFindingComment,
  renderReviewSummary,
  reviewSummaryMarker,
  type SummaryEntry,
} from "../github/review-summary.ts";
import type { ReviewMode } from "../github/review-triggers.ts";
import {
  listReviewComments,
  listReviewThreads,
  postReview,
  type ReviewComment,
  replyToReviewComment,
  resolveReviewThread,
} from "../github/reviews.ts";
import { parseGitHubTaskInput } from "../github/task-input.ts";
import { anchorFinding, suggestionFits } from "../review/anchors.ts";
import { codeStillPresent, fingerprintOf } from "../review/fingerprint.ts";
import {
  byImportance,
  type CurrentFinding,
  checkConclusion,
  chooseInline,
  reconcileFindings,
} from "../review/reconcile.ts";
import type { Database } from "../store/database.ts";
import {
  listFindings,
  type NewFinding,
  recordReview,
  reviewPullState,
  type StoredFinding,
  supersedingTask,
} from "../store/reviews.ts";
import type { TaskOutcome } from "../store/tasks.ts";
import { stoppedOutcome, type TaskContext, type TaskHandler, taskStop } from "../worker/task-handler.ts";
import type { GitHubTaskDependencies } from "./github-task.ts";
import { describeFailure } from "./github-task.ts";
import { MAX_EVIDENCE_RUNS, rerunEvidence, wantsEvidenceRun } from "./review-evidence.ts";
import { type ReviewScene, runReviewSession, sideKey } from "./review-session.ts";

export type ReviewTaskDependencies = GitHubTaskDependencies & {
  /** The primary: the review memory is read and written there. */
  db: Database;
};

const reviewInputSchema = z.object({
  mode: z.enum(["full", "incremental"]),
  pull: z.object({
    headRef: z.string(),
    headSha: z.string(),
    baseRef: z.string().min(1),
    fork: z.boolean(),
    author: z.string(),
  }),
});

/** What a review task carries beside the common GitHub task input (`input.review`). */
export type ReviewTaskInput = z.infer<typeof reviewInputSchema>;

/** The anchored lines' code of a finding, from the version of the file its side names. */
function codeOf(
  scene: ReviewScene,
  place: { path: string; start_line: number; end_line: number; side: "RIGHT" | "LEFT" },
) {
  const file = scene.files.find(
    (candidate) => candidate.path === place.path || candidate.previousPath === place.path,
  );
  const lines = scene.lines.get(sideKey(place.side, file?.path ?? place.path)) ?? [];
  return lines.slice(place.start_line - 1, place.end_line);
}

/** GitHub cuts an annotation's message at 64 KB; a finding's explanation is far shorter in practice. */
const MAX_ANNOTATION_MESSAGE = 4_000;

/** Annotations for the check run: open findings on the head's lines. */
function annotationsOf(entries: SummaryEntry[], anchored: Map<number, "RIGHT" | "LEFT">): CheckAnnotation[] {
  return entries
    .filter(
      (entry) =>
        (entry.status === "new" || entry.status === "still present") &&
        anchored.get(entry.ordinal) === "RIGHT",
    )
    .map((entry) => ({
      path: entry.path,
      start_line: entry.startLine,
      end_line: entry.endLine,
      annotation_level: entry.priority === "P0" || entry.priority === "P1" ? "warning" : "notice",
      title: `F${entry.ordinal} ${entry.priority}: ${entry.title}`.slice(0, 255),
      message: entry.body.slice(0, MAX_ANNOTATION_MESSAGE),
    }));
}

/**
 * The `review` task: reviews a pull request with the agent loop and posts one review.
 *
 * 1. A check run "Loopwright review" shows it is in progress on the head commit.
 * 2. A workspace at the pull request's head (`refs/pull/<n>/head`, so forks work) and the diff from
 *    git in it (merge-base..head; since the last reviewed commit for an incremental review).
 *    Lockfiles, generated, vendored, minified and binary files and `review.ignore` are left out and
 *    listed. A fork's head runs with the network off and no setup command, with `AGENTS.md` from
 *    the base; configuration always comes from the default branch.
 * 3. The agent reviews with the review instructions and finishes with `submit_review`.
 * 4. P0/P1 findings with evidence are re-run in a fresh sandbox and marked reproduced or not.
 * 5. Findings are fingerprinted and set against the pull request's memory: nothing is posted twice,
 *    fixed findings are answered "fixed in <sha>" and their threads resolved, dismissed ones are
 *    never raised again.
 * 6. One review (anchors validated against the diff; 422s split out to the summary), the summary
 *    comment edited in place, and the check run completed with the conclusion from `review.fail_on`.
 *
 * A newer push supersedes a running review: it ends before posting anything.
 *
 * @example
 * handlers.set("review", createReviewTaskHandler({ ...deps, db }));
 */
export function createReviewTaskHandler(deps: ReviewTaskDependencies): TaskHandler {
  return async (context: TaskContext): Promise<TaskOutcome> => {
    const { task, log } = context;
    const parsed = parseGitHubTaskInput(task.input);
    const review = reviewInputSchema.safeParse(task.input.review);
    if (
      !parsed.success ||
      !review.success ||
      task.installationId === null ||
      task.number === null ||
      !task.repository.includes("/")
    ) {
      const why = !parsed.success
        ? parsed.error
        : !review.success
          ? z.prettifyError(review.error)
          : "no installation, pull request number or owner/name repository";
      return { status: "failed", error: `task ${task.id} has malformed input: ${why}` };
    }
    const { input } = parsed;
    const { config } = input;
    const { mode, pull } = review.data;
    const [owner = "", repo = ""] = task.repository.split("/");
    const target: IssueTarget = { owner, repo, number: task.number };
    const { octokit, token } = await deps.github.forInstallation(task.installationId);

    const existingCheck = task.sideEffects.checkRunId;
    const checkRunId =
      typeof existingCheck === "number"
        ? existingCheck
        : await startCheckRun(octokit, { owner, repo }, pull.headSha);
    await context.recordSideEffect("checkRunId", checkRunId);
    const endCheck = (conclusion: CheckConclusion, title: string, summary: string) =>
      completeCheckRun(octokit, { owner, repo }, checkRunId, { conclusion, title, summary }).catch(
        (error: unknown) => log.warn({ err: error }, "could not complete the review's check run"),
      );

    try {
      await context.enforceDailyTokenBudget(config.budget.daily_tokens);
      const outcome = await reviewPullRequest(deps, context, {
        octokit,
        token,
        target,
        config,
        cloneUrl: input.cloneUrl,
        defaultBranch: input.defaultBranch,
        instructions: input.instructions,
        mode,
        pull,
        checkRunId,
      });
      // A review that ran out of budget posts nothing: its check says why.
      if (outcome.status !== "succeeded")
        await endCheck("neutral", "The review did not finish", outcome.error ?? "");
      return outcome;
    } catch (error) {
      const stop = taskStop(context.signal);
      if (stop) {
        const by = await supersedingTask(deps.db, task.id);
        if (by !== undefined) {
          await endCheck(
            "skipped",
            "Superseded",
            `A newer push or request (task ${by}) replaced this review; nothing was posted.`,
          );
          return { status: "cancelled", error: `superseded by task ${by}` };
        }
        await endCheck("cancelled", "Stopped", stop.message);
        return stoppedOutcome(stop, "stopped on request");
      }
      // A shutdown or a lost claim hands the task back for a retry elsewhere: the check stays in progress.
      if (context.signal.aborted) throw error;
      const reason = describeFailure(error);
      await endCheck("neutral", "The review did not finish", reason);
      return { status: "failed", error: reason };
    }
  };
}

type ReviewRequest = {
  octokit: GitHubClient;
  token: string;
  target: IssueTarget;
  config: RepoConfig;
  cloneUrl: string;
  defaultBranch: string;
  instructions: string;
  mode: ReviewMode;
  pull: ReviewTaskInput["pull"];
  checkRunId: number;
};

async function readPullText(octokit: GitHubClient, target: IssueTarget) {
  return withGitHubErrors(`read pull request #${target.number}`, async () => {
    const { data } = await octokit.rest.pulls.get({
      owner: target.owner,
      repo: target.repo,
      pull_number: target.number,
    });
    return { title: data.title, body: data.body ?? "", state: data.state };
  });
}

async function reviewPullRequest(
  deps: ReviewTaskDependencies,
  context: TaskContext,
  request: ReviewRequest,
): Promise<TaskOutcome> {
  const { task, log } = context;
  const { octokit, target, config, pull } = request;
  const repository = task.repository;
  const [state, stored, text] = await Promise.all([
    reviewPullState(deps.db, repository, target.number),
    listFindings(deps.db, repository, target.number),
    readPullText(octokit, target),
  ]);
  const startedAt = Date.now();
  const { session, scene, submission } = await runReviewSession(deps, context, {
    workspace: {
      url: request.cloneUrl,
      token: request.token,
      target: { kind: "pull", number: target.number },
      branch: `review-${target.number}`,
      branchPrefix: config.fix.branch_prefix,
      defaultBranch: request.defaultBranch,
    },
    model: deps.createModel(config),
    config,
    pull: {
      repository,
      number: target.number,
      title: text.title,
      body: text.body,
      author: pull.author,
      baseRef: pull.baseRef,
      fork: pull.fork,
    },
    lastReviewed: request.mode === "incremental" ? state.lastReviewedSha : null,
    requestInstructions: request.instructions,
    alsoRead: stored.filter((finding) => finding.status === "open").map((finding) => finding.path),
    token: request.token,
  });
  const { agent } = session;
  if (agent.outcome === "aborted") throw context.signal.reason ?? new Error(agent.message);
  if (agent.outcome === "budget_exhausted") return { status: "budget_exhausted", error: agent.message };
  if (agent.outcome !== "completed") throw new Error(agent.message);
  if (!submission || !scene) {
    throw new Error(
      `the model ended without calling submit_review. Its last words: ${agent.message.slice(0, 400)}`,
    );
  }
  return deliverReview(deps, context, request, {
    scene,
    submission,
    stored,
    agent,
    previousSummaryId: state.summaryCommentId,
    startedAt,
    log,
  });
}

type Delivery = {
  scene: ReviewScene;
  submission: ReviewSubmission;
  stored: StoredFinding[];
  agent: AgentResult;
  previousSummaryId: number | null;
  startedAt: number;
  log: TaskContext["log"];
};

async function deliverReview(
  deps: ReviewTaskDependencies,
  context: TaskContext,
  request: ReviewRequest,
  delivery: Delivery,
): Promise<TaskOutcome> {
  const { octokit, target, config, token } = request;
  const { scene, submission, log } = delivery;
  const head = scene.range.head;
  const command = config.fix.command;

  // Evidence first: a reproduced finding ranks above an unproven one of the same priority.
  const evidence = new Map<SubmittedFinding, boolean>();
  const toRun = submission.findings
    .filter(wantsEvidenceRun)
    .sort((a, b) => byImportance({ ...a, reproduced: null }, { ...b, reproduced: null }))
    .slice(0, MAX_EVIDENCE_RUNS);
  for (const finding of toRun) {
    const run = await rerunEvidence(
      deps,
      context,
      {
        url: request.cloneUrl,
        token,
        headSha: head,
        number: target.number,
        branchPrefix: config.fix.branch_prefix,
        env: config.sandbox.env,
      },
      finding,
    ).catch((error: unknown) => {
      log.warn({ err: error, title: finding.title }, "could not re-run a finding's evidence");
      return undefined;
    });
    if (run) evidence.set(finding, run.reproduced);
  }
  const current: CurrentFinding[] = submission.findings.map((finding) => {
    const code = codeOf(scene, finding);
    const anchor = anchorFinding(finding, scene.files);
    const path = anchor.kind === "summary" ? finding.path : anchor.path;
    return {
      ...finding,
      path,
      code,
      anchor,
      fingerprint: fingerprintOf({ path, code, title: finding.title }),
      reproduced: evidence.get(finding) ?? null,
    };
  });

  // Threads people resolved on Loopwright's comments are dismissals; read them before deciding.
  // Only a pull request with inline findings of earlier reviews has threads of Loopwright's to read
  // (GraphQL calls are spaced a second apart by Octokit's throttling: a first review saves one).
  const threads = delivery.stored.some((finding) => finding.commentId !== null)
    ? await listReviewThreads(octokit, target)
    : [];
  const threadOf = new Map(
    threads.flatMap((thread) =>
      thread.firstCommentId === undefined ? [] : [[thread.firstCommentId, thread] as const],
    ),
  );
  const dismissed: { id: number; by: string }[] = [];
  const memory = delivery.stored.map((finding) => {
    const thread = finding.commentId === null ? undefined : threadOf.get(finding.commentId);
    // A thread a person resolved is a dismissal; one Loopwright (or another bot) resolved is not.
    const byPerson = thread?.isResolved === true && !/\[bot\]$/i.test(thread.resolvedBy ?? "");
    if (finding.status === "open" && thread && byPerson) {
      const by = thread.resolvedBy ?? "someone";
      dismissed.push({ id: finding.id, by });
      return { ...finding, status: "dismissed" as const, dismissedBy: by };
    }
    return finding;
  });
  const reconciled = reconcileFindings({
    stored: memory,
    current,
    mode: scene.range.since ? "incremental" : "full",
    present: (finding) => {
      const lines = scene.lines.get(sideKey("RIGHT", finding.path));
      return lines !== undefined && codeStillPresent(lines, finding.code);
    },
  });
  if (context.signal.aborted) throw context.signal.reason;

  // From here on the review is delivered whole: a stop now would leave it half-posted.
  let ordinal = Math.max(0, ...delivery.stored.map((finding) => finding.ordinal));
  const ordinals = new Map(reconciled.added.map((finding) => [finding, ++ordinal]));
  const { inline, summaryOnly } = chooseInline(reconciled.added, {
    maxComments: config.review.max_comments,
    minPriority: config.review.min_inline_priority,
  });
  const comments = new Map<CurrentFinding, ReviewComment>();
  for (const finding of inline) {
    const anchor = finding.anchor;
    const suggestion = suggestionFits(anchor, finding) ? finding.suggestion : undefined;
    const body = renderFindingComment(
      {
        ...finding,
        ordinal: ordinals.get(finding) ?? 0,
        ...(anchor.kind === "file" && { lines: `${finding.start_line}-${finding.end_line}` }),
      },
      suggestion,
      command,
    );
    comments.set(
      finding,
      anchor.kind === "lines"
        ? {
            path: anchor.path,
            body,
            line: anchor.line,
            side: anchor.side,
            ...(anchor.startLine !== anchor.line && {
              start_line: anchor.startLine,
              start_side: anchor.side,
            }),
          }
        : { path: finding.path, body, subject_type: "file" },
    );
  }
  const posted = await postReview(octokit, target, {
    commitId: head,
    body: `Loopwright reviewed ${head.slice(0, 7)}: ${inline.length} new finding${inline.length === 1 ? "" : "s"} inline; the summary comment lists every finding.`,
    comments: [...comments.values()],
  });
  if (posted.reviewId !== undefined) await context.recordSideEffect("reviewId", posted.reviewId);
  const postedIds = new Map<string, number>();
  if (posted.reviewId !== undefined) {
    for (const comment of await listReviewComments(octokit, target, posted.reviewId)) {
      const fingerprint = findMarker(comment.body, "finding");
      if (fingerprint) postedIds.set(fingerprint, comment.id);
    }
  }
  const refused = new Map(posted.rejected.map((entry) => [entry.comment, entry.reason]));
  const notes = new Map<CurrentFinding, string>(summaryOnly.map((entry) => [entry.finding, entry.reason]));
  for (const [finding, comment] of comments) {
    const reason = refused.get(comment);
    if (reason !== undefined) notes.set(finding, `GitHub refused the inline comment (${reason})`);
  }

  // Fixed findings: answered on their own thread, which is then resolved (only Loopwright's own).
  for (const finding of reconciled.fixed) {
    if (finding.commentId === null) continue;
    const thread = threadOf.get(finding.commentId);
    try {
      await replyToReviewComment(
        octokit,
        target,
        finding.commentId,
        `Fixed in ${head.slice(0, 7)}: the code this finding was about changed. Resolving.`,
      );
      if (thread && !thread.isResolved) await resolveReviewThread(octokit, thread.id);
    } catch (error) {
      log.warn(
        { err: error, finding: finding.ordinal },
        "could not answer or resolve a fixed finding's thread",
      );
    }
  }

  const added: NewFinding[] = reconciled.added.map((finding) => ({
    ordinal: ordinals.get(finding) ?? 0,
    fingerprint: finding.fingerprint,
    title: finding.title,
    body: finding.body,
    priority: finding.priority,
    confidence: finding.confidence,
    path: finding.path,
    startLine: finding.anchor.kind === "lines" ? finding.anchor.startLine : finding.start_line,
    endLine: finding.anchor.kind === "lines" ? finding.anchor.line : finding.end_line,
    side: finding.side,
    code: finding.code,
    firstSha: head,
    commentId: postedIds.get(finding.fingerprint) ?? null,
    reproduced: finding.reproduced,
  }));
  const entries = summaryEntries(reconciled, added, notes, memory, head);
  const tokens = context.task.tokens + delivery.agent.totals.total;
  const summaryBody = renderReviewSummary({
    number: target.number,
    taskId: context.task.id,
    headSha: head,
    mergeBase: scene.range.mergeBase,
    since: scene.range.since,
    summary: submission.summary,
    entries,
    skipped: scene.skipped,
    dismissedAgain: reconciled.dismissedAgain,
    durationMs: Date.now() - delivery.startedAt,
    tokens,
  });
  const summaryComment = await upsertMarkedComment(
    octokit,
    target,
    reviewSummaryMarker(target.number),
    summaryBody,
  );

  await recordReview(deps.db, {
    repository: context.task.repository,
    number: target.number,
    taskId: context.task.id,
    headSha: head,
    added,
    seen: reconciled.seen.map((entry) => entry.stored.id),
    fixed: reconciled.fixed.map((finding) => finding.id),
    dismissed,
    summaryCommentId: summaryComment.id,
  });

  const open = entries.filter((entry) => entry.status === "new" || entry.status === "still present");
  const conclusion = checkConclusion(
    config.review.fail_on,
    open.map((entry) => entry.priority),
  );
  const sides = new Map([...memory, ...added].map((finding) => [finding.ordinal, finding.side]));
  await completeCheckRun(octokit, { owner: target.owner, repo: target.repo }, request.checkRunId, {
    conclusion,
    title:
      open.length === 0 ? "No open findings" : `${open.length} open finding${open.length === 1 ? "" : "s"}`,
    summary: `${submission.summary}\n\nThe review's summary comment: ${summaryComment.url}`,
    annotations: annotationsOf(entries, sides),
  });
  return { status: "succeeded" };
}

/** Every finding of the pull request for the summary, with this review's statuses. */
function summaryEntries(
  reconciled: ReturnType<typeof reconcileFindings>,
  added: NewFinding[],
  notes: Map<CurrentFinding, string>,
  memory: StoredFinding[],
  head: string,
): SummaryEntry[] {
  const addedEntries: SummaryEntry[] = reconciled.added.map((finding, index) => {
    const record = added[index];
    const note = notes.get(finding);
    return {
      ordinal: record?.ordinal ?? 0,
      title: finding.title,
      body: finding.body,
      priority: finding.priority,
      confidence: finding.confidence,
      path: finding.path,
      startLine: record?.startLine ?? finding.start_line,
      endLine: record?.endLine ?? finding.end_line,
      status: "new",
      inline: record?.commentId != null,
      ...(note !== undefined && { note }),
      reproduced: finding.reproduced,
      evidence: finding.evidence,
    };
  });
  const fixed = new Set(reconciled.fixed.map((finding) => finding.id));
  const present = new Set([
    ...reconciled.seen.map((entry) => entry.stored.id),
    ...reconciled.stillPresent.map((finding) => finding.id),
  ]);
  const earlier: SummaryEntry[] = memory.map((finding) => ({
    ordinal: finding.ordinal,
    title: finding.title,
    body: finding.body,
    priority: finding.priority,
    confidence: finding.confidence,
    path: finding.path,
    startLine: finding.startLine,
    endLine: finding.endLine,
    status: fixed.has(finding.id)
      ? "fixed"
      : present.has(finding.id)
        ? "still present"
        : finding.status === "dismissed"
          ? "dismissed"
          : "fixed",
    fixedSha: fixed.has(finding.id) ? head : finding.fixedSha,
    inline: finding.commentId !== null,
    reproduced: finding.reproduced,
  }));
  return [...earlier, ...addedEntries].sort((a, b) => a.ordinal - b.ordinal);
}
