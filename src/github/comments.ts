import type { GitHubClient } from "./client.ts";
import { withGitHubErrors } from "./errors.ts";

/** An issue or pull request (GitHub comments on both through the issues API). */
export type IssueTarget = { owner: string; repo: string; number: number };
export type CommentTarget = { owner: string; repo: string; commentId: number };
export type FoundComment = { id: number; body: string; url: string };

const ANY_MARKER = /<!-- loopwright:[\w-]+=[\w.:@/-]+ -->/;

/**
 * The first comment by a bot (Loopwright posts as one) that contains `markerText`. Comments by people
 * are skipped, so pasting a marker cannot hijack Loopwright's comment.
 *
 * @example
 * await findCommentByMarker(octokit, { owner: "o", repo: "r", number: 7 }, taskMarker("t_1"));
 */
export async function findCommentByMarker(
  octokit: GitHubClient,
  target: IssueTarget,
  markerText: string,
): Promise<FoundComment | undefined> {
  return withGitHubErrors(`read the comments of #${target.number}`, async () => {
    const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
      owner: target.owner,
      repo: target.repo,
      issue_number: target.number,
      per_page: 100,
    });
    for await (const page of pages) {
      const found = page.data.find(
        (comment) => comment.user?.type === "Bot" && comment.body?.includes(markerText),
      );
      if (found) return { id: found.id, body: found.body ?? "", url: found.html_url };
    }
    return undefined;
  });
}

/**
 * Posts a comment.
 *
 * @example
 * await postComment(octokit, { owner: "o", repo: "r", number: 7 }, renderHelpReply(config));
 */
export async function postComment(
  octokit: GitHubClient,
  target: IssueTarget,
  body: string,
): Promise<FoundComment> {
  return withGitHubErrors(`comment on #${target.number}`, async () => {
    const { data } = await octokit.rest.issues.createComment({
      owner: target.owner,
      repo: target.repo,
      issue_number: target.number,
      body,
    });
    return { id: data.id, body: data.body ?? body, url: data.html_url };
  });
}

/**
 * Posts a comment unless one with the same Loopwright marker (the first in `body`) is already there;
 * a body without a marker is always posted. Returns the comment and whether it was created.
 *
 * @example
 * await postCommentOnce(octokit, target, renderUnauthorizedReply("ann", "/agent"));
 */
export async function postCommentOnce(
  octokit: GitHubClient,
  target: IssueTarget,
  body: string,
): Promise<{ comment: FoundComment; created: boolean }> {
  const markerText = ANY_MARKER.exec(body)?.[0];
  const existing = markerText ? await findCommentByMarker(octokit, target, markerText) : undefined;
  if (existing) return { comment: existing, created: false };
  return { comment: await postComment(octokit, target, body), created: true };
}

/**
 * Creates the progress comment of a task, or edits the one a previous attempt left (found by the
 * marker inside `body`). An edit is skipped when the text is unchanged.
 *
 * @example
 * const { id } = await upsertMarkedComment(octokit, target, taskMarker(task.id), renderProgressComment(view));
 */
export async function upsertMarkedComment(
  octokit: GitHubClient,
  target: IssueTarget,
  markerText: string,
  body: string,
): Promise<FoundComment & { created: boolean }> {
  const existing = await findCommentByMarker(octokit, target, markerText);
  if (!existing) return { ...(await postComment(octokit, target, body)), created: true };
  if (existing.body !== body) {
    await updateComment(octokit, { owner: target.owner, repo: target.repo, commentId: existing.id }, body);
  }
  return { ...existing, body, created: false };
}

/**
 * Replaces a comment's text (the throttled progress edits use the id found once).
 *
 * @example
 * await updateComment(octokit, { owner: "o", repo: "r", commentId: 99 }, body);
 */
export async function updateComment(
  octokit: GitHubClient,
  target: CommentTarget,
  body: string,
): Promise<void> {
  await withGitHubErrors("update the progress comment", () =>
    octokit.rest.issues.updateComment({
      owner: target.owner,
      repo: target.repo,
      comment_id: target.commentId,
      body,
    }),
  );
}

/**
 * Adds 👀 to the comment that started a task: an issue or pull request comment, or (`"review"`) a
 * comment on a review thread. GitHub answers an existing reaction with 200, so repeating it on
 * redelivery is harmless.
 *
 * @example
 * await addEyesReaction(octokit, { owner: "o", repo: "r", commentId: 99 });
 */
export async function addEyesReaction(
  octokit: GitHubClient,
  target: CommentTarget,
  on: "issue" | "review" = "issue",
): Promise<void> {
  const reaction = {
    owner: target.owner,
    repo: target.repo,
    comment_id: target.commentId,
    content: "eyes",
  } as const;
  await withGitHubErrors("react to the comment", () =>
    on === "review"
      ? octokit.rest.reactions.createForPullRequestReviewComment(reaction)
      : octokit.rest.reactions.createForIssueComment(reaction),
  );
}
