import { z } from "zod";
import type { RepoConfig } from "../config/repo-config.ts";
import type { StartSource } from "./event-key.ts";
import { type CommandWord, nearMissOf } from "./near-miss.ts";
import {
  automaticReview,
  namedFinding,
  parseReviewCommand,
  type ReviewCommand,
  type ReviewMode,
  type ReviewPull,
  reviewPullOf,
  reviewPullSchema,
} from "./review-triggers.ts";

/** The repository a request is about, with what a worker needs to clone it and act on it. */
export type RepoRef = {
  owner: string;
  name: string;
  fullName: string;
  cloneUrl: string;
  defaultBranch: string;
  installationId: number;
};

/** What started a request, for the 👀 reaction and for idempotency on redelivery (see `eventKeyOf`). */
export type TriggerSource = StartSource | { type: "closed" };

type CommentSource = Extract<StartSource, { type: "comment" }>;

type RequestBase<Source extends TriggerSource = TriggerSource> = {
  repo: RepoRef;
  /** Issue or pull request number. */
  number: number;
  /** Who asked: the comment author, the labeler, the reviewer or whoever closed it. */
  requester: string;
  source: Source;
  /** The webhook delivery id (`X-GitHub-Delivery`), when known. */
  deliveryId: string | undefined;
};

/** The pull request a follow-up pushes to. Absent when the event (an issue comment) does not carry it. */
export type PullRequestHead = { ref: string; sha: string };

/**
 * Something Loopwright should do. `fix`, `iterate` and `review` start a task; `cancel` acts on one;
 * `review_switch` (`/agent review pause|resume`) and `dismiss` change a pull request's review state;
 * `help` and `near_miss` (`/agent fixing`: a slip of a command word, answered "did you mean…") only reply.
 */
export type TaskRequest =
  /** `base`: a review finding's fix on another pull request goes into that pull request's branch. */
  | (RequestBase<StartSource> & { kind: "fix"; instructions: string; base?: { ref: string } })
  | (RequestBase<StartSource> & { kind: "iterate"; instructions: string; head: PullRequestHead | undefined })
  /** `pull`: undefined when the event (an issue comment) does not carry the pull request. */
  | (RequestBase<StartSource> & {
      kind: "review";
      mode: ReviewMode;
      instructions: string;
      pull: ReviewPull | undefined;
    })
  | (RequestBase<CommentSource> & { kind: "review_switch"; paused: boolean })
  /** `inReplyTo`: the review comment a thread reply answers (the finding's own comment). */
  | (RequestBase<CommentSource> & {
      kind: "dismiss";
      finding: number | undefined;
      inReplyTo: number | undefined;
      reason: string;
    })
  /**
   * `/agent fix` replied on a finding's thread (`inReplyTo`), or `/agent fix F3` on the pull request
   * (`finding`): the finding goes to a fix or iterate task.
   */
  | (RequestBase<CommentSource> & {
      kind: "fix_finding";
      finding: number | undefined;
      inReplyTo: number | undefined;
      instructions: string;
    })
  /** `/agent run <name>`: a run of the repository's maintenance schedule now. */
  | (RequestBase<CommentSource> & { kind: "run_schedule"; name: string })
  | (RequestBase & { kind: "cancel" })
  | (RequestBase & { kind: "help" })
  | (RequestBase<CommentSource> & { kind: "near_miss"; typed: string; meant: CommandWord });

/**
 * An event Loopwright does nothing with. `tellUser` marks reasons worth a reply on the issue (a refused
 * fork, a closed issue); the rest are routine and only logged.
 */
export type Ignored = { kind: "ignored"; reason: string; tellUser: boolean };

export type Trigger = TaskRequest | Ignored;

/** A webhook as Probot hands it over: `context.id`, `context.name`, `context.payload`. */
export type WebhookEvent = { id?: string; name: string; payload: unknown };

const user = z.looseObject({ login: z.string(), type: z.string().optional() });

const repositorySchema = z.looseObject({
  name: z.string(),
  full_name: z.string(),
  owner: z.looseObject({ login: z.string() }),
  clone_url: z.string(),
  default_branch: z.string(),
});

const baseSchema = z.looseObject({
  action: z.string(),
  repository: repositorySchema,
  installation: z.looseObject({ id: z.number() }).optional(),
  sender: user,
});

const issueSchema = z.looseObject({
  number: z.number(),
  state: z.string(),
  pull_request: z.unknown().optional(),
});

const pullRequestSchema = z.looseObject({
  number: z.number(),
  state: z.string(),
  head: z.looseObject({
    ref: z.string(),
    sha: z.string(),
    repo: z.looseObject({ full_name: z.string() }).nullable(),
  }),
  base: z.looseObject({ repo: z.looseObject({ full_name: z.string() }) }),
});

const issueCommentSchema = baseSchema.extend({
  issue: issueSchema,
  comment: z.looseObject({ id: z.number(), body: z.string().nullable() }),
});
const issuesSchema = baseSchema.extend({
  issue: issueSchema.extend({ updated_at: z.string() }),
  label: z.looseObject({ name: z.string() }).optional(),
});
const pullRequestEventSchema = baseSchema.extend({ pull_request: pullRequestSchema });
const reviewCommentSchema = baseSchema.extend({
  pull_request: pullRequestSchema,
  comment: z.looseObject({
    id: z.number(),
    body: z.string().nullable(),
    in_reply_to_id: z.number().optional(),
  }),
});
const reviewSchema = baseSchema.extend({
  pull_request: pullRequestSchema,
  review: z.looseObject({ id: z.number(), state: z.string(), body: z.string().nullable() }),
});

/** What a comment asks for, before knowing whether it sits on an issue or a pull request. */
export type Command =
  | { type: "fix"; instructions: string }
  | { type: "instructions"; instructions: string }
  | { type: "stop" }
  | { type: "help" }
  /** `/agent run <name>`: run a maintenance schedule now. */
  | { type: "run"; name: string }
  | ReviewCommand
  /** The first word is a slip of a command word (`fixing`, `stopp`): nothing starts, the user is asked. */
  | { type: "near_miss"; typed: string; meant: CommandWord }
  | { type: "none"; reason: string };

const ignored = (reason: string, tellUser = false): Ignored => ({ kind: "ignored", reason, tellUser });

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `fix` as a word of its own: then a space, the end, `:` `,` `;`, or `.` `!` `?` before a space or the end. */
const FIX_WORD = /^fix[.!?]*(?:[:,;]|(?=\s|$))/i;

/**
 * Reads the command on a comment's first non-blank line. A command indented as code (4+ spaces or a
 * tab), quoted with `>` or opening a fenced block is quoted text, not a request. The instructions are
 * the rest of that line plus every following line. `/agent <instructions>` counts only when its first
 * word is not a slip of a command word (see `nearMissOf`): `/agent fixing` is a `near_miss`.
 *
 * @example
 * parseCommand("/agent fix\nAlso update the docs.", "/agent");
 * // { type: "fix", instructions: "Also update the docs." }
 * parseCommand("/agent fixed", "/agent"); // { type: "near_miss", typed: "fixed", meant: "fix" }
 */
export function parseCommand(body: string, command: string): Command {
  const lines = body.replace(/\r\n?/g, "\n").split("\n");
  const first = lines.findIndex((line) => line.trim() !== "");
  const line = lines[first];
  if (line === undefined) return { type: "none", reason: "the comment is empty" };
  const word = new RegExp(`^${escapeRegExp(command)}(?=\\s|$)`, "i");
  if (/^( {4,}|\t)/.test(line) && word.test(line.trim())) {
    return { type: "none", reason: "the command is inside a code block" };
  }
  const text = line.replace(/^ {0,3}/, "");
  if (/^(```|~~~)/.test(text)) return { type: "none", reason: "the comment starts with a code block" };
  if (/^>/.test(text)) return { type: "none", reason: "the comment starts with a quote" };
  if (!word.test(text)) return { type: "none", reason: `the comment does not start with ${command}` };
  const rest = text.replace(word, "").trim();
  const following = lines
    .slice(first + 1)
    .join("\n")
    .trim();
  if (/^stop[.!]?$/i.test(rest)) return { type: "stop" };
  if (/^help[.!?]?$/i.test(rest)) return { type: "help" };
  const run = /^run\s+([A-Za-z0-9][A-Za-z0-9._-]{0,63})[.!]?$/i.exec(rest);
  if (run?.[1]) return { type: "run", name: run[1] };
  const review = parseReviewCommand([rest, following].filter((part) => part !== "").join("\n"));
  if (review) return review;
  const fix = FIX_WORD.exec(rest);
  const inline = fix ? rest.slice(fix[0].length).trim() : rest;
  const instructions = [inline, following].filter((part) => part !== "").join("\n");
  if (fix) return { type: "fix", instructions };
  // The first word, up to a space or a separator, without the sentence's closing punctuation.
  const typed = (/^[^\s:,;]*/.exec(rest)?.[0] ?? "").replace(/[.!?]+$/, "");
  const meant = nearMissOf(typed);
  if (meant) return { type: "near_miss", typed, meant };
  return { type: "instructions", instructions };
}

/**
 * Whether a pull request may receive follow-up commits: its head branch is under the configured
 * prefix and lives in the base repository (never a fork's branch). Returns the refusal, or undefined.
 *
 * @example
 * iterateRefusal({ headRef: "agent/issue-1-typo", headRepoFullName: "o/r", baseRepoFullName: "o/r" }, config);
 * // undefined
 */
export function iterateRefusal(
  pullRequest: { headRef: string; headRepoFullName: string | undefined; baseRepoFullName: string },
  config: RepoConfig,
): Ignored | undefined {
  if (pullRequest.headRepoFullName !== pullRequest.baseRepoFullName) {
    return ignored(
      "this pull request comes from a fork; Loopwright only pushes follow-up commits to its own branches",
      true,
    );
  }
  if (!pullRequest.headRef.startsWith(config.fix.branch_prefix)) {
    return ignored(
      `this pull request's branch is not under ${config.fix.branch_prefix}; Loopwright only pushes to its own branches`,
      true,
    );
  }
  return undefined;
}

const isBot = (sender: { login: string; type?: string | undefined }) =>
  sender.type === "Bot" || /\[bot\]$/i.test(sender.login);

function repoRef(payload: z.infer<typeof baseSchema>): RepoRef | undefined {
  if (!payload.installation) return undefined;
  const { repository } = payload;
  return {
    owner: repository.owner.login,
    name: repository.name,
    fullName: repository.full_name,
    cloneUrl: repository.clone_url,
    defaultBranch: repository.default_branch,
    installationId: payload.installation.id,
  };
}

type Parsed<T> = { payload: T; repo: RepoRef } | Ignored;

/**
 * `botSenders`: a pull request event sent by a bot still counts (a review is about the pull request's
 * author, and reviewing starts no loop: it pushes nothing).
 */
function parsePayload<T extends z.infer<typeof baseSchema>>(
  schema: z.ZodType<T>,
  event: WebhookEvent,
  botSenders = false,
): Parsed<T> {
  const result = schema.safeParse(event.payload);
  if (!result.success) {
    const where = result.error.issues[0]?.path.join(".") || "payload";
    return ignored(`the ${event.name} payload is malformed (${where})`);
  }
  const repo = repoRef(result.data);
  if (!repo) return ignored(`the ${event.name} event carries no installation id`);
  // Closing stops the task whoever closed it (a bot included); everything else from bots is ignored.
  if (result.data.action !== "closed" && !botSenders && isBot(result.data.sender))
    return ignored(`sent by a bot (${result.data.sender.login})`);
  return { payload: result.data, repo };
}

function fromIssueComment(event: WebhookEvent, config: RepoConfig): Trigger {
  const parsed = parsePayload(issueCommentSchema, event);
  if ("kind" in parsed) return parsed;
  const { payload, repo } = parsed;
  if (payload.action !== "created") return ignored(`comment ${payload.action}, only new comments count`);
  const command = parseCommand(payload.comment.body ?? "", config.fix.command);
  if (command.type === "none") return ignored(command.reason);
  const base: RequestBase<CommentSource> = {
    repo,
    number: payload.issue.number,
    requester: payload.sender.login,
    source: { type: "comment", commentId: payload.comment.id },
    deliveryId: event.id,
  };
  if (command.type === "help") return { ...base, kind: "help" };
  if (command.type === "stop") return { ...base, kind: "cancel" };
  if (command.type === "near_miss") {
    return { ...base, kind: "near_miss", typed: command.typed, meant: command.meant };
  }
  if (command.type === "run") return { ...base, kind: "run_schedule", name: command.name };
  const onPullRequest = payload.issue.pull_request != null;
  if (command.type === "review" || command.type === "review_switch" || command.type === "dismiss") {
    if (!onPullRequest)
      return ignored(
        `${config.fix.command} ${command.type.replace("_switch", "")} works on pull requests only`,
        true,
      );
    if (payload.issue.state !== "open") return ignored("this pull request is closed", true);
    if (command.type === "review_switch") return { ...base, kind: "review_switch", paused: command.paused };
    if (command.type === "dismiss") {
      if (command.finding === undefined) {
        return ignored(
          `name the finding (${config.fix.command} dismiss F3), or reply ${config.fix.command} dismiss on its thread`,
          true,
        );
      }
      return {
        ...base,
        kind: "dismiss",
        finding: command.finding,
        inReplyTo: undefined,
        reason: command.reason,
      };
    }
    return { ...base, kind: "review", mode: "full", instructions: command.instructions, pull: undefined };
  }
  if (payload.issue.state !== "open") {
    const what = onPullRequest ? "pull request" : "issue";
    return ignored(`this ${what} is closed; reopen it to run ${config.fix.command}`, true);
  }
  if (!onPullRequest) return { ...base, kind: "fix", instructions: command.instructions };
  const named = command.type === "fix" ? namedFinding(command.instructions) : undefined;
  if (named) {
    return {
      ...base,
      kind: "fix_finding",
      finding: named.finding,
      inReplyTo: undefined,
      instructions: named.rest,
    };
  }
  if (command.instructions === "") {
    return ignored(`say what to change: ${config.fix.command} <instructions>`, true);
  }
  return { ...base, kind: "iterate", instructions: command.instructions, head: undefined };
}

function fromIssues(event: WebhookEvent, config: RepoConfig): Trigger {
  const parsed = parsePayload(issuesSchema, event);
  if ("kind" in parsed) return parsed;
  const { payload, repo } = parsed;
  const base = {
    repo,
    number: payload.issue.number,
    requester: payload.sender.login,
    deliveryId: event.id,
  };
  if (payload.action === "closed") return { ...base, kind: "cancel", source: { type: "closed" } };
  if (payload.action !== "labeled") return ignored(`issues.${payload.action} starts nothing`);
  const label = payload.label?.name ?? "";
  if (label.toLowerCase() !== config.fix.label.toLowerCase()) {
    return ignored(`label ${label} is not ${config.fix.label}`);
  }
  if (payload.issue.state !== "open") return ignored("label added to a closed issue");
  const source: StartSource = { type: "label", label, issueUpdatedAt: payload.issue.updated_at };
  return { ...base, kind: "fix", source, instructions: "" };
}

function fromPullRequest(event: WebhookEvent, config: RepoConfig): Trigger {
  const parsed = parsePayload(pullRequestEventSchema, event, true);
  if ("kind" in parsed) return parsed;
  const { payload, repo } = parsed;
  if (payload.action !== "closed") {
    const pull = reviewPullSchema.safeParse(payload.pull_request);
    if (!pull.success)
      return ignored(`the pull_request payload is malformed (${pull.error.issues[0]?.path.join(".")})`);
    const decision = automaticReview(payload.action, pull.data, config);
    if ("skip" in decision) return ignored(`no review: ${decision.skip}`);
    return {
      kind: "review",
      repo,
      number: pull.data.number,
      requester: pull.data.user?.login ?? payload.sender.login,
      source: { type: "pull_request", action: payload.action, headSha: pull.data.head.sha },
      deliveryId: event.id,
      mode: decision.mode,
      instructions: "",
      pull: reviewPullOf(pull.data),
    };
  }
  return {
    kind: "cancel",
    repo,
    number: payload.pull_request.number,
    requester: payload.sender.login,
    source: { type: "closed" },
    deliveryId: event.id,
  };
}

/**
 * A comment on a review thread: only `/agent dismiss` and `/agent fix` (on a finding's own thread, or
 * naming it: `F3`) mean anything here.
 */
function fromReviewComment(event: WebhookEvent, config: RepoConfig): Trigger {
  const parsed = parsePayload(reviewCommentSchema, event);
  if ("kind" in parsed) return parsed;
  const { payload, repo } = parsed;
  if (payload.action !== "created") return ignored(`review comment ${payload.action}, only new ones count`);
  const command = parseCommand(payload.comment.body ?? "", config.fix.command);
  if (command.type !== "dismiss" && command.type !== "fix") {
    return ignored("only a dismissal or a fix of a finding is read from review comments");
  }
  const named =
    command.type === "dismiss"
      ? { finding: command.finding, rest: command.reason }
      : (namedFinding(command.instructions) ?? { finding: undefined, rest: command.instructions });
  const inReplyTo = payload.comment.in_reply_to_id;
  if (inReplyTo === undefined && named.finding === undefined) {
    return ignored(`a ${command.type} outside a finding's thread must name the finding (F3)`);
  }
  const base: RequestBase<CommentSource> = {
    repo,
    number: payload.pull_request.number,
    requester: payload.sender.login,
    source: { type: "comment", commentId: payload.comment.id },
    deliveryId: event.id,
  };
  const which = { finding: named.finding, inReplyTo: named.finding === undefined ? inReplyTo : undefined };
  if (command.type === "dismiss") return { ...base, kind: "dismiss", ...which, reason: named.rest };
  return { ...base, kind: "fix_finding", ...which, instructions: named.rest };
}

function fromReview(event: WebhookEvent, config: RepoConfig): Trigger {
  const parsed = parsePayload(reviewSchema, event);
  if ("kind" in parsed) return parsed;
  const { payload, repo } = parsed;
  if (payload.action !== "submitted")
    return ignored(`review ${payload.action}, only submitted reviews count`);
  if (payload.review.state.toLowerCase() !== "changes_requested") {
    return ignored(`review state ${payload.review.state}, only "changes requested" starts a follow-up`);
  }
  const pullRequest = payload.pull_request;
  if (pullRequest.state !== "open") return ignored("review on a closed pull request");
  const refusal = iterateRefusal(
    {
      headRef: pullRequest.head.ref,
      headRepoFullName: pullRequest.head.repo?.full_name,
      baseRepoFullName: pullRequest.base.repo.full_name,
    },
    config,
  );
  // A review is addressed to the pull request's author, not to Loopwright: no reply unless it is ours.
  if (refusal) return ignored(`review on a pull request that is not Loopwright's: ${refusal.reason}`);
  return {
    kind: "iterate",
    repo,
    number: pullRequest.number,
    requester: payload.sender.login,
    source: { type: "review", reviewId: payload.review.id },
    deliveryId: event.id,
    instructions: payload.review.body?.trim() ?? "",
    head: { ref: pullRequest.head.ref, sha: pullRequest.head.sha },
  };
}

/**
 * Classifies a webhook: a task to start (`fix`, `iterate`), one to act on (`cancel`, `help`), or an
 * `Ignored` with the reason. Pure: no I/O, so permission checks and the pull request lookup for an
 * `iterate` from a comment (`head: undefined`, see {@link iterateRefusal}) happen afterwards.
 *
 * @example
 * classifyEvent({ id: "d1", name: "issue_comment", payload }, config);
 * // { kind: "fix", number: 1, requester: "octocat", instructions: "", ... }
 */
export function classifyEvent(event: WebhookEvent, config: RepoConfig): Trigger {
  switch (event.name) {
    case "issue_comment":
      return fromIssueComment(event, config);
    case "issues":
      return fromIssues(event, config);
    case "pull_request":
      return fromPullRequest(event, config);
    case "pull_request_review_comment":
      return fromReviewComment(event, config);
    case "pull_request_review":
      return fromReview(event, config);
    default:
      return ignored(`${event.name} events start nothing`);
  }
}
