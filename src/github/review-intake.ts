import type { RepoConfig } from "../config/repo-config.ts";
import type { Logger } from "../logger.ts";
import type { SubmitRefused } from "../store/admission.ts";
import { type TaskLimits, taskLimitsOf } from "../store/task-limits.ts";
import type { GitHubClient } from "./client.ts";
import { addEyesReaction, type IssueTarget, postComment, postCommentOnce } from "./comments.ts";
import { withGitHubErrors } from "./errors.ts";
import { eventKeyOf } from "./event-key.ts";
import { inlineCode, marker } from "./markdown.ts";
import { renderRefusalReply, renderSubmitRefusal } from "./replies.ts";
import { type ReviewPull, reviewPullOf, reviewPullSchema } from "./review-triggers.ts";
import { replyToReviewComment } from "./reviews.ts";
import type { GitHubTaskInput } from "./task-input.ts";
import type { TaskRequest } from "./triggers.ts";
import type { NewGitHubTask } from "./webhook-handler.ts";

/** A review task to create: the common GitHub task input plus the review's mode and pull request. */
export type NewReviewTask = Omit<NewGitHubTask, "kind" | "limits" | "input"> & {
  /** Checked for `/agent review`; automatic reviews count only against the daily token budget. */
  limits: TaskLimits | undefined;
  input: GitHubTaskInput & { review: { mode: "full" | "incremental"; pull: ReviewPull } };
};

/** The review state the webhook handlers read and change; injected so tests pass fakes. */
export type ReviewIntakeDependencies = {
  /**
   * Creates the review task idempotently on its event key and asks every other unfinished review of
   * the pull request to stop (superseded: a newer push or request replaces it).
   */
  submitReview(task: NewReviewTask): Promise<{ taskId: number; created: boolean } | SubmitRefused>;
  reviewPaused(repository: string, number: number): Promise<boolean>;
  setReviewPaused(repository: string, number: number, paused: boolean): Promise<void>;
  /** The finding a command names, or undefined when none matches. */
  findFinding(
    repository: string,
    number: number,
    ref: { ordinal: number } | { commentId: number },
  ): Promise<FoundFinding | undefined>;
  /** Marks a finding dismissed; resolves to its ordinal, or undefined when no finding matches. */
  dismissFinding(
    repository: string,
    number: number,
    ref: { ordinal: number } | { commentId: number },
    by: string,
  ): Promise<number | undefined>;
};

/** A stored finding as a command sees it. */
export type FoundFinding = {
  ordinal: number;
  title: string;
  body: string;
  priority: string;
  path: string;
  startLine: number;
  endLine: number;
  side: "RIGHT" | "LEFT";
  status: "open" | "fixed" | "dismissed";
};

type ReviewTrigger = Extract<TaskRequest, { kind: "review" | "review_switch" | "dismiss" }>;

async function readPull(octokit: GitHubClient, target: IssueTarget) {
  return withGitHubErrors(`read pull request #${target.number}`, async () => {
    const { data } = await octokit.rest.pulls.get({
      owner: target.owner,
      repo: target.repo,
      pull_number: target.number,
    });
    return reviewPullSchema.parse(data);
  });
}

/**
 * What the webhook handler does with a review request (after the requester's permission was checked
 * for commands): pause or resume a pull request's automatic reviews, dismiss a finding, or queue a
 * review task — automatic ones unless paused or over the daily token budget (logged, no reply),
 * `/agent review` with a reply when refused.
 *
 * @example
 * await handleReviewTrigger({ octokit, target, trigger, config, deps, tokensToday, event: "pull_request", log });
 */
export async function handleReviewTrigger(request: {
  octokit: GitHubClient;
  target: IssueTarget;
  trigger: ReviewTrigger;
  config: RepoConfig;
  deps: ReviewIntakeDependencies;
  /** Model tokens the repository's tasks spent since midnight UTC. */
  tokensToday(repository: string): Promise<number>;
  event: string;
  log: Logger;
}): Promise<void> {
  const { octokit, target, trigger, config, deps, log } = request;
  const repository = trigger.repo.fullName;
  const eventKey = eventKeyOf({ repository, number: trigger.number, source: trigger.source });
  const command = config.fix.command;
  if (trigger.kind === "review_switch") {
    await deps.setReviewPaused(repository, trigger.number, trigger.paused);
    log.info({ number: trigger.number, paused: trigger.paused }, "automatic reviews switched");
    await postCommentOnce(
      octokit,
      target,
      `${marker("review-switch", eventKey)}\n**Loopwright**: automatic reviews of this pull request are ${trigger.paused ? `paused (${inlineCode(`${command} review resume`)} turns them back on; ${inlineCode(`${command} review`)} still reviews on request)` : "on again"}.`,
    );
    return;
  }
  if (trigger.kind === "dismiss") {
    const ref =
      trigger.finding !== undefined
        ? { ordinal: trigger.finding }
        : { commentId: trigger.inReplyTo ?? Number.NaN };
    const ordinal = await deps.dismissFinding(repository, trigger.number, ref, trigger.requester);
    log.info({ number: trigger.number, ordinal }, "finding dismissal");
    const text =
      ordinal === undefined
        ? renderRefusalReply("no Loopwright finding matches that dismissal", eventKey)
        : `${marker("dismissed", eventKey)}\n**Loopwright**: F${ordinal} is dismissed and will not be raised again on this pull request.`;
    const thread = trigger.inReplyTo;
    if (thread === undefined) await postCommentOnce(octokit, target, text);
    else await replyToReviewComment(octokit, target, thread, text);
    return;
  }

  const automatic = trigger.source.type === "pull_request";
  if (automatic && (await deps.reviewPaused(repository, trigger.number))) {
    log.info({ number: trigger.number }, "automatic reviews of this pull request are paused");
    return;
  }
  let pull = trigger.pull;
  if (pull === undefined) {
    const read = await readPull(octokit, target);
    if (read.state !== "open") {
      await postCommentOnce(octokit, target, renderRefusalReply("this pull request is closed", eventKey));
      return;
    }
    pull = reviewPullOf(read);
  }
  const spent = await request.tokensToday(repository);
  if (spent >= config.budget.daily_tokens) {
    log.info({ spent, dailyTokens: config.budget.daily_tokens }, "daily token budget used up: no review");
    if (!automatic) {
      await postCommentOnce(
        octokit,
        target,
        renderRefusalReply(
          `this repository used its daily budget of ${config.budget.daily_tokens.toLocaleString("en-US")} model tokens (raise budget.daily_tokens in .github/loopwright.yml to allow more)`,
          eventKey,
        ),
      );
    }
    return;
  }
  const submitted = await deps.submitReview({
    repository,
    installationId: trigger.repo.installationId,
    number: trigger.number,
    requester: trigger.requester,
    trigger: trigger.source.type,
    deliveryId: trigger.deliveryId,
    eventKey,
    event: request.event,
    limits: automatic ? undefined : taskLimitsOf(config.limits),
    input: {
      instructions: trigger.instructions,
      cloneUrl: trigger.repo.cloneUrl,
      defaultBranch: trigger.repo.defaultBranch,
      config,
      ...(trigger.source.type === "comment" && { commentId: trigger.source.commentId }),
      head: { ref: pull.headRef, sha: pull.headSha },
      review: { mode: trigger.mode, pull },
    },
  });
  if ("status" in submitted) {
    log.info({ refused: submitted, number: trigger.number }, "review request refused");
    if (automatic) return;
    const reply = renderSubmitRefusal({
      command,
      requester: trigger.requester,
      refused: submitted,
      onPullRequest: true,
      eventKey,
    });
    await postCommentOnce(octokit, target, reply);
    return;
  }
  if (!submitted.created) {
    log.info({ taskId: submitted.taskId, eventKey }, "the same event was delivered again: the review exists");
    return;
  }
  log.info({ taskId: submitted.taskId, number: trigger.number, mode: trigger.mode }, "review queued");
  if (trigger.source.type === "comment") {
    await addEyesReaction(octokit, {
      owner: target.owner,
      repo: target.repo,
      commentId: trigger.source.commentId,
    });
  }
}

/** Said when a review command reaches a server without the review store. */
export async function refuseReviews(octokit: GitHubClient, target: IssueTarget): Promise<void> {
  await postComment(
    octokit,
    target,
    renderRefusalReply("pull request reviews are not set up on this server"),
  );
}
