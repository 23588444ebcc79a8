import type { Context, Probot } from "probot";
import { parseRepoConfig, REPO_CONFIG_FILE, type RepoConfig } from "../config/repo-config.ts";
import type { Logger } from "../logger.ts";
import type { SubmitRefused } from "../store/admission.ts";
import { startOfUtcDay } from "../store/repository-tasks.ts";
import { type TaskLimits, taskLimitsOf } from "../store/task-limits.ts";
import { checkPermission } from "./authorize.ts";
import type { GitHubClient } from "./client.ts";
import { addEyesReaction, type IssueTarget, postComment, postCommentOnce } from "./comments.ts";
import { transientGitHubFailure } from "./errors.ts";
import { eventKeyOf } from "./event-key.ts";
import { findingFixTask } from "./finding-fix.ts";
import { type MaintenanceDependencies, runScheduleCommand } from "./maintenance-events.ts";
import { getPullRequestHead } from "./pull-requests.ts";
import {
  renderHelpReply,
  renderInvalidConfigComment,
  renderNearMissReply,
  renderRefusalReply,
  renderSubmitRefusal,
  renderUnauthorizedReply,
} from "./replies.ts";
import { handleReviewTrigger, type ReviewIntakeDependencies, refuseReviews } from "./review-intake.ts";
import type { GitHubTaskInput } from "./task-input.ts";
import { classifyEvent, iterateRefusal, type TaskRequest } from "./triggers.ts";

/** The events whose payloads `classifyEvent` understands. */
export const HANDLED_EVENTS = [
  "issue_comment.created",
  "issues.labeled",
  "issues.closed",
  "pull_request.closed",
  "pull_request.opened",
  "pull_request.reopened",
  "pull_request.ready_for_review",
  "pull_request.synchronize",
  "pull_request_review.submitted",
  "pull_request_review_comment.created",
] as const;

export type NewGitHubTask = {
  kind: "fix" | "iterate";
  repository: string;
  installationId: number;
  number: number;
  requester: string;
  trigger: string;
  deliveryId: string | undefined;
  /** The event's identity (`comment:<id>`, see `eventKeyOf`): one task per event, whatever the delivery. */
  eventKey: string;
  event: string;
  /** The repository's `limits`, checked when the task is created. */
  limits: TaskLimits;
  input: GitHubTaskInput;
};

/** The task exists (`created: false` when the same event made it earlier), or why there is none. */
export type SubmitTaskResult = { taskId: number; created: boolean } | SubmitRefused;

/** The store operations the webhook handlers need; injected so tests pass fakes. */
export type WebhookDependencies = {
  /**
   * Creates the task and its job, idempotently on the event key, unless another fix or iterate task
   * is unfinished on the issue or pull request (`busy`) or a limit is reached (`limited`).
   */
  submitTask(task: NewGitHubTask): Promise<SubmitTaskResult>;
  /** Asks the unfinished tasks of an issue or pull request to stop; resolves to how many there were. */
  cancelTasks(repository: string, number: number): Promise<number>;
  /** Model tokens the repository's tasks spent since midnight UTC. */
  tokensToday(repository: string): Promise<number>;
  /** Pull request reviews (their memory and tasks); absent: review commands are refused. */
  reviews?: ReviewIntakeDependencies;
  /** Scheduled maintenance (schedules, runs asked for by people); absent: `/agent run` is refused. */
  maintenance?: MaintenanceDependencies;
};

type ConfigResult = { config: RepoConfig; problems: string[] };

async function loadRepoConfig(context: Context, defaultBranch: string | undefined): Promise<ConfigResult> {
  try {
    // Probot reads .github/loopwright.yml from the default branch, with org-wide `.github` and `_extends`.
    const raw = await context.config(REPO_CONFIG_FILE);
    return parseRepoConfig(raw ?? {}, { defaultBranch });
  } catch (error) {
    // GitHub being down is not a broken file: the intake retries the delivery later.
    const transient = transientGitHubFailure(error);
    if (transient) throw transient;
    // A YAML syntax error lands here; the defaults apply and the user is told.
    const { config } = parseRepoConfig({});
    return { config, problems: [`the file could not be read: ${(error as Error).message}`] };
  }
}

function issueNumberOf(payload: Record<string, unknown>): number | undefined {
  const holder = (payload.issue ?? payload.pull_request) as { number?: unknown } | undefined;
  return typeof holder?.number === "number" ? holder.number : undefined;
}

/**
 * Decides what to do with one webhook and does the cheap part: replies, cancellation, or an enqueued
 * task. Handlers return early with a logged reason; everything costly runs later in a worker.
 */
async function handleEvent(context: Context, deps: WebhookDependencies, log: Logger): Promise<void> {
  const payload = context.payload as Record<string, unknown>;
  const repository = payload.repository as { default_branch?: string } | undefined;
  const { config, problems } = await loadRepoConfig(context, repository?.default_branch);
  const trigger = classifyEvent({ id: context.id, name: context.name, payload }, config);
  const octokit = context.octokit as unknown as GitHubClient;
  const { owner, repo } = context.repo();

  if (trigger.kind === "ignored") {
    log.debug({ reason: trigger.reason }, "event ignored");
    const number = issueNumberOf(payload);
    if (trigger.tellUser && number !== undefined) {
      await postComment(octokit, { owner, repo, number }, renderRefusalReply(trigger.reason));
    }
    return;
  }
  const target: IssueTarget = { owner, repo, number: trigger.number };
  if (trigger.kind === "help") {
    await postComment(octokit, target, renderHelpReply(config));
    return;
  }
  if (
    trigger.source.type === "comment" ||
    trigger.source.type === "label" ||
    trigger.source.type === "review"
  ) {
    const access = await checkPermission(octokit, { owner, repo, username: trigger.requester });
    if (!access.allowed) {
      log.info(
        { requester: trigger.requester, permission: access.permission },
        "requester lacks write access",
      );
      await postCommentOnce(octokit, target, renderUnauthorizedReply(trigger.requester, config.fix.command));
      return;
    }
  }
  if (trigger.kind === "near_miss") {
    log.info({ typed: trigger.typed, meant: trigger.meant }, "not a command word: asking what was meant");
    const eventKey = eventKeyOf({
      repository: trigger.repo.fullName,
      number: trigger.number,
      source: trigger.source,
    });
    const { typed, meant } = trigger;
    await postCommentOnce(
      octokit,
      target,
      renderNearMissReply({ command: config.fix.command, typed, meant, eventKey }),
    );
    return;
  }
  if (trigger.kind === "review" || trigger.kind === "review_switch" || trigger.kind === "dismiss") {
    if (!deps.reviews) {
      log.info({ kind: trigger.kind }, "reviews are not set up in this process");
      if (trigger.source.type === "comment") await refuseReviews(octokit, target);
      return;
    }
    if (problems.length > 0) await postCommentOnce(octokit, target, renderInvalidConfigComment(problems));
    await handleReviewTrigger({
      octokit,
      target,
      trigger,
      config,
      deps: deps.reviews,
      tokensToday: deps.tokensToday,
      event: context.name,
      log,
    });
    return;
  }
  if (trigger.kind === "fix_finding") {
    if (!deps.reviews) {
      await refuseReviews(octokit, target);
      return;
    }
    const task = await findingFixTask({ octokit, target, trigger, config, reviews: deps.reviews });
    if ("refusal" in task) {
      log.info({ reason: task.refusal }, "finding fix refused");
      const eventKey = eventKeyOf({
        repository: trigger.repo.fullName,
        number: trigger.number,
        source: trigger.source,
      });
      await postCommentOnce(octokit, target, renderRefusalReply(task.refusal, eventKey));
      return;
    }
    if (problems.length > 0) await postCommentOnce(octokit, target, renderInvalidConfigComment(problems));
    await enqueueTask(context, task, config, deps, log);
    return;
  }
  if (trigger.kind === "run_schedule") {
    if (!deps.maintenance) {
      await postComment(
        octokit,
        target,
        renderRefusalReply("scheduled maintenance is not set up on this server"),
      );
      return;
    }
    const request = {
      repository: trigger.repo.fullName,
      number: trigger.number,
      name: trigger.name,
      commentId: trigger.source.commentId,
    };
    await runScheduleCommand(octokit, deps.maintenance, request, log);
    return;
  }
  if (trigger.kind === "cancel") {
    const cancelled = await deps.cancelTasks(trigger.repo.fullName, trigger.number);
    log.info({ number: trigger.number, cancelled }, "stop requested");
    if (cancelled === 0 && trigger.source.type === "comment") {
      await postComment(
        octokit,
        target,
        renderRefusalReply("no task is running on this issue or pull request"),
      );
    }
    return;
  }
  if (problems.length > 0) {
    await postCommentOnce(octokit, target, renderInvalidConfigComment(problems));
  }
  await enqueueTask(context, trigger, config, deps, log);
}

async function enqueueTask(
  context: Context,
  trigger: Extract<TaskRequest, { kind: "fix" | "iterate" }>,
  config: RepoConfig,
  deps: WebhookDependencies,
  log: Logger,
): Promise<void> {
  const octokit = context.octokit as unknown as GitHubClient;
  const { owner, repo } = context.repo();
  const target: IssueTarget = { owner, repo, number: trigger.number };
  const eventKey = eventKeyOf({
    repository: trigger.repo.fullName,
    number: trigger.number,
    source: trigger.source,
  });

  let head = trigger.kind === "iterate" ? trigger.head : undefined;
  if (trigger.kind === "iterate" && head === undefined) {
    // An issue comment does not carry the pull request's head: look it up before accepting the request.
    const pull = await getPullRequestHead(octokit, { owner, repo }, trigger.number);
    const refusal = iterateRefusal(pull, config);
    if (refusal) {
      log.info({ reason: refusal.reason }, "follow-up refused");
      await postCommentOnce(octokit, target, renderRefusalReply(refusal.reason, eventKey));
      return;
    }
    head = { ref: pull.headRef, sha: pull.headSha };
  }

  const spent = await deps.tokensToday(trigger.repo.fullName);
  if (spent >= config.budget.daily_tokens) {
    log.info(
      { spent, dailyTokens: config.budget.daily_tokens },
      "daily token budget used up: request refused",
    );
    const resets = new Date(startOfUtcDay(new Date()).getTime() + 86_400_000).toISOString();
    await postCommentOnce(
      octokit,
      target,
      renderRefusalReply(
        `this repository used its daily budget of ${config.budget.daily_tokens.toLocaleString("en-US")} model tokens (it resets at ${resets}; raise budget.daily_tokens in .github/loopwright.yml to allow more)`,
        eventKey,
      ),
    );
    return;
  }

  const submitted = await deps.submitTask({
    kind: trigger.kind,
    repository: trigger.repo.fullName,
    installationId: trigger.repo.installationId,
    number: trigger.number,
    requester: trigger.requester,
    trigger: trigger.source.type,
    deliveryId: trigger.deliveryId,
    eventKey,
    event: context.name,
    limits: taskLimitsOf(config.limits),
    input: {
      instructions: trigger.instructions,
      cloneUrl: trigger.repo.cloneUrl,
      defaultBranch: trigger.repo.defaultBranch,
      config,
      ...(trigger.source.type === "comment" && { commentId: trigger.source.commentId }),
      ...(trigger.source.type === "review" && { reviewId: trigger.source.reviewId }),
      ...(head && { head }),
      ...(trigger.kind === "fix" && trigger.base && { base: trigger.base }),
    },
  });
  if ("status" in submitted) {
    log.info({ refused: submitted, number: trigger.number }, "request refused");
    const reply = renderSubmitRefusal({
      command: config.fix.command,
      requester: trigger.requester,
      refused: submitted,
      onPullRequest: trigger.kind === "iterate",
      eventKey,
    });
    await postCommentOnce(octokit, target, reply);
    return;
  }
  const { taskId, created } = submitted;
  if (!created) {
    log.info({ taskId, eventKey }, "the same event was delivered again: the task already exists");
    return;
  }
  log.info({ taskId, kind: trigger.kind, number: trigger.number }, "task queued");
  if (trigger.source.type === "comment") {
    const on = context.name === "pull_request_review_comment" ? "review" : "issue";
    await addEyesReaction(octokit, { owner, repo, commentId: trigger.source.commentId }, on);
  }
}

/**
 * Registers Loopwright's webhook handlers on a Probot app. A transient GitHub failure (outage, rate
 * limit, network) is thrown on, so the intake job retries the delivery with backoff; any other
 * failure tells the user on the issue (when it can) and is logged, never thrown unlogged.
 *
 * @example
 * registerWebhookHandlers(app, { submitTask, cancelTasks, tokensToday });
 */
export function registerWebhookHandlers(app: Probot, deps: WebhookDependencies): void {
  app.on([...HANDLED_EVENTS], async (context) => {
    const log = context.log.child({
      delivery: context.id,
      event: `${context.name}.${context.payload.action}`,
    });
    try {
      await handleEvent(context as unknown as Context, deps, log);
    } catch (error) {
      const transient = transientGitHubFailure(error);
      if (transient) {
        log.warn({ reason: transient.message }, "GitHub failed for now; the delivery will be retried");
        throw transient;
      }
      log.error({ err: error }, "webhook handling failed");
      const number = issueNumberOf(context.payload as Record<string, unknown>);
      if (number === undefined) return;
      const message = error instanceof Error ? error.message : String(error);
      try {
        await postComment(
          context.octokit as unknown as GitHubClient,
          { ...context.repo(), number },
          renderRefusalReply(`something went wrong while starting: ${message}`),
        );
      } catch (replyError) {
        log.warn({ err: replyError }, "could not tell the user about the failure");
      }
    }
  });
}
