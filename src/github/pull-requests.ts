import type { GitHubClient } from "./client.ts";
import { toGitHubApiError, withGitHubErrors } from "./errors.ts";

export type RepoTarget = { owner: string; repo: string };
export type PullRequestRef = { number: number; url: string; created: boolean };

/** What an iterate request needs to know about a pull request before touching it. */
export type PullRequestHeadInfo = {
  state: string;
  headRef: string;
  headSha: string;
  /** Undefined when the fork it came from was deleted. */
  headRepoFullName: string | undefined;
  baseRepoFullName: string;
};

/**
 * Reads a pull request's head, for an iterate request that came from a comment (whose payload lacks
 * it); pass the result to `iterateRefusal`.
 *
 * @example
 * const head = await getPullRequestHead(octokit, { owner: "o", repo: "r" }, 5);
 */
export async function getPullRequestHead(
  octokit: GitHubClient,
  target: RepoTarget,
  number: number,
): Promise<PullRequestHeadInfo> {
  return withGitHubErrors(`read pull request #${number}`, async () => {
    const { data } = await octokit.rest.pulls.get({ ...target, pull_number: number });
    return {
      state: data.state,
      headRef: data.head.ref,
      headSha: data.head.sha,
      headRepoFullName: data.head.repo?.full_name,
      baseRepoFullName: data.base.repo.full_name,
    };
  });
}

/**
 * The open pull request from `branch` of this repository, if any.
 *
 * @example
 * await findOpenPullRequest(octokit, { owner: "o", repo: "r" }, "agent/issue-7-typo");
 */
export async function findOpenPullRequest(
  octokit: GitHubClient,
  target: RepoTarget,
  branch: string,
): Promise<{ number: number; url: string; title: string; body: string } | undefined> {
  return withGitHubErrors(`look for an open pull request from ${branch}`, async () => {
    const { data } = await octokit.rest.pulls.list({
      ...target,
      head: `${target.owner}:${branch}`,
      state: "open",
    });
    const found = data[0];
    return found && { number: found.number, url: found.html_url, title: found.title, body: found.body ?? "" };
  });
}

const isDraftUnsupported = (error: unknown) =>
  (error as { status?: number }).status === 422 && /draft/i.test(String((error as Error).message));
const isAlreadyOpen = (error: unknown) =>
  (error as { status?: number }).status === 422 && /already exists/i.test(String((error as Error).message));

/**
 * Opens the pull request for a branch, or updates the title and body of the one already open (a
 * retried task never opens a second). Falls back to a ready pull request where the repository does
 * not allow drafts.
 *
 * @example
 * await upsertPullRequest(octokit, { owner: "o", repo: "r" },
 *   { head: "agent/issue-7-typo", base: "main", title: "Fix typo", body, draft: true });
 */
export async function upsertPullRequest(
  octokit: GitHubClient,
  target: RepoTarget,
  pull: { head: string; base: string; title: string; body: string; draft: boolean },
): Promise<PullRequestRef> {
  const existing = await findOpenPullRequest(octokit, target, pull.head);
  if (existing) {
    if (existing.title !== pull.title || existing.body !== pull.body) {
      await withGitHubErrors(`update pull request #${existing.number}`, () =>
        octokit.rest.pulls.update({
          ...target,
          pull_number: existing.number,
          title: pull.title,
          body: pull.body,
        }),
      );
    }
    return { number: existing.number, url: existing.url, created: false };
  }
  const create = (draft: boolean) => octokit.rest.pulls.create({ ...target, ...pull, draft });
  try {
    const { data } = await create(pull.draft).catch((error: unknown) => {
      if (pull.draft && isDraftUnsupported(error)) return create(false);
      throw error;
    });
    return { number: data.number, url: data.html_url, created: true };
  } catch (error) {
    // Another attempt opened it between our look-up and our create.
    const raced = isAlreadyOpen(error) ? await findOpenPullRequest(octokit, target, pull.head) : undefined;
    if (raced) return { number: raced.number, url: raced.url, created: false };
    throw toGitHubApiError(error, `open a pull request from ${pull.head}`);
  }
}

/**
 * Asks the requester to review the pull request. GitHub refuses (422) when the reviewer is the
 * pull request's author or cannot review; that is not worth failing a task over, so it returns false.
 *
 * @example
 * await requestReview(octokit, { owner: "o", repo: "r" }, 12, "ann");
 */
export async function requestReview(
  octokit: GitHubClient,
  target: RepoTarget,
  number: number,
  reviewer: string,
): Promise<boolean> {
  try {
    await octokit.rest.pulls.requestReviewers({ ...target, pull_number: number, reviewers: [reviewer] });
    return true;
  } catch (error) {
    if ((error as { status?: number }).status === 422) return false;
    throw toGitHubApiError(error, `request a review from ${reviewer} on #${number}`);
  }
}
