import picomatch from "picomatch";
import { z } from "zod";
import type { RepoConfig } from "../config/repo-config.ts";

/** The pull request actions that start an automatic review; `synchronize` (a push) reviews what is new. */
export const REVIEW_ACTIONS = ["opened", "reopened", "ready_for_review", "synchronize"] as const;

/** A full review looks at the whole pull request; an incremental one at the commits since the last review. */
export type ReviewMode = "full" | "incremental";

/** What a review task needs to know about the pull request when it is asked for. */
export type ReviewPull = {
  headRef: string;
  headSha: string;
  baseRef: string;
  /** The head lives in another repository: read-only review, network off, config from the base. */
  fork: boolean;
  author: string;
};

/** A `/agent review…` or `/agent dismiss…` command, once the command word is read. */
export type ReviewCommand =
  | { type: "review"; instructions: string }
  | { type: "review_switch"; paused: boolean }
  /** `finding`: the `F<n>` it names; undefined in a reply on a finding's own thread. */
  | { type: "dismiss"; finding: number | undefined; reason: string };

/**
 * Reads the words after the command word when they ask for a review, a pause or resume of automatic
 * reviews, or the dismissal of a finding; undefined for anything else.
 *
 * @example
 * parseReviewCommand("review pause"); // { type: "review_switch", paused: true }
 * parseReviewCommand("dismiss F3 not a bug"); // { type: "dismiss", finding: 3, reason: "not a bug" }
 * parseReviewCommand("review\nfocus on the parser"); // { type: "review", instructions: "focus on the parser" }
 */
export function parseReviewCommand(rest: string): ReviewCommand | undefined {
  const match = /^(review|dismiss)\b[.!:]?\s*([\s\S]*)$/i.exec(rest.trim());
  if (!match) return undefined;
  const word = (match[1] ?? "").toLowerCase();
  const tail = (match[2] ?? "").trim();
  if (word === "review") {
    const toggle = /^(pause|resume)[.!]?$/i.exec(tail);
    if (toggle) return { type: "review_switch", paused: toggle[1]?.toLowerCase() === "pause" };
    return { type: "review", instructions: tail };
  }
  const named = namedFinding(tail);
  if (named) return { type: "dismiss", finding: named.finding, reason: named.rest };
  return { type: "dismiss", finding: undefined, reason: tail };
}

/**
 * The finding `/agent fix F3 …` names, with the rest of the instructions; undefined when the
 * instructions do not start with `F<n>`.
 *
 * @example
 * namedFinding("F3 keep the public API"); // { finding: 3, rest: "keep the public API" }
 */
export function namedFinding(instructions: string): { finding: number; rest: string } | undefined {
  const match = /^F(\d{1,6})\b[.:,]?\s*([\s\S]*)$/i.exec(instructions.trim());
  return match ? { finding: Number(match[1]), rest: (match[2] ?? "").trim() } : undefined;
}

const account = z.looseObject({ login: z.string(), type: z.string().optional() });

/** The parts of a `pull_request` payload's pull request that review decisions read. */
export const reviewPullSchema = z.looseObject({
  number: z.number(),
  state: z.string(),
  draft: z.boolean().optional(),
  user: account.nullable(),
  labels: z.array(z.looseObject({ name: z.string() })).optional(),
  head: z.looseObject({
    ref: z.string(),
    sha: z.string(),
    repo: z.looseObject({ full_name: z.string() }).nullable(),
  }),
  base: z.looseObject({ ref: z.string(), repo: z.looseObject({ full_name: z.string() }) }),
});
export type ReviewPullPayload = z.infer<typeof reviewPullSchema>;

const isBotAccount = (user: { login: string; type?: string | undefined } | null): boolean =>
  user !== null && (user.type === "Bot" || /\[bot\]$/i.test(user.login));

const sameLogin = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Whether a pull request is one of Loopwright's own: opened by a bot from a branch under the
 * configured prefix of the same repository.
 *
 * @example
 * isOwnPull(pull, config); // true for loopwright[bot]'s agent/issue-7-… pull request
 */
export function isOwnPull(pull: ReviewPullPayload, config: RepoConfig): boolean {
  return (
    isBotAccount(pull.user) &&
    pull.head.ref.startsWith(config.fix.branch_prefix) &&
    pull.head.repo?.full_name === pull.base.repo.full_name
  );
}

/** The pull request as a review task sees it. */
export function reviewPullOf(pull: ReviewPullPayload): ReviewPull {
  return {
    headRef: pull.head.ref,
    headSha: pull.head.sha,
    baseRef: pull.base.ref,
    fork: pull.head.repo?.full_name !== pull.base.repo.full_name,
    author: pull.user?.login ?? "ghost",
  };
}

/**
 * Decides whether a `pull_request` event starts an automatic review, from the repository's `review`
 * settings: a full review when a pull request is opened, reopened or marked ready, an incremental one
 * on a push. Returns the mode, or the reason nothing is reviewed. Pure; whether the pull request's
 * reviews are paused is checked afterwards (it is stored state).
 *
 * @example
 * automaticReview("synchronize", pull, config); // { mode: "incremental" }
 * automaticReview("opened", draftPull, config); // { skip: "the pull request is a draft (review.drafts is off)" }
 */
export function automaticReview(
  action: string,
  pull: ReviewPullPayload,
  config: RepoConfig,
): { mode: ReviewMode } | { skip: string } {
  const settings = config.review;
  if (!(REVIEW_ACTIONS as readonly string[]).includes(action)) {
    return { skip: `pull_request.${action} starts no review` };
  }
  if (pull.state !== "open") return { skip: "the pull request is not open" };
  if (!settings.auto) return { skip: "automatic reviews are off (review.auto)" };
  if (pull.draft && !settings.drafts) return { skip: "the pull request is a draft (review.drafts is off)" };
  if (
    settings.base_branches.length > 0 &&
    !settings.base_branches.some((glob) => picomatch.isMatch(pull.base.ref, glob))
  ) {
    return { skip: `the base branch ${pull.base.ref} is not in review.base_branches` };
  }
  const label = (pull.labels ?? []).find((candidate) =>
    settings.skip_labels.some((skipped) => sameLogin(skipped, candidate.name)),
  );
  if (label) return { skip: `the pull request has the label ${label.name} (review.skip_labels)` };
  const author = pull.user?.login ?? "ghost";
  if (settings.skip_authors.some((skipped) => sameLogin(skipped, author))) {
    return { skip: `${author}'s pull requests are not reviewed (review.skip_authors)` };
  }
  if (isOwnPull(pull, config)) {
    if (!settings.own_pulls)
      return { skip: "Loopwright's own pull requests are not reviewed (review.own_pulls)" };
  } else if (isBotAccount(pull.user) && !settings.bots.some((bot) => sameLogin(bot, author))) {
    return { skip: `${author} is a bot not listed in review.bots` };
  }
  return { mode: action === "synchronize" ? "incremental" : "full" };
}
