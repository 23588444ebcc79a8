import type { GitHubClient } from "./client.ts";
import type { IssueTarget } from "./comments.ts";
import { toGitHubApiError, withGitHubErrors } from "./errors.ts";

/** One inline comment of a review, as `pulls.createReview` takes it. */
export type ReviewComment = {
  path: string;
  body: string;
  line?: number;
  side?: "RIGHT" | "LEFT";
  start_line?: number;
  start_side?: "RIGHT" | "LEFT";
  subject_type?: "file";
};

export type PostedReview = {
  /** Undefined when no comment could be posted (no review was created). */
  reviewId: number | undefined;
  posted: ReviewComment[];
  /** Comments GitHub refused even alone, with its words: they go to the summary instead. */
  rejected: { comment: ReviewComment; reason: string }[];
};

const isUnprocessable = (error: unknown) => (error as { status?: number }).status === 422;
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Posts one review (event `COMMENT`, pinned to `commitId`) with the inline comments. Anchors are
 * validated before this is called; if GitHub still answers 422, the offending comments are found by
 * splitting the set and trying each half as a pending review (deleted at once, so nothing shows),
 * and the review is posted with the rest: one review, and the refused comments are returned so
 * their findings go to the summary — none is lost.
 *
 * @example
 * const { reviewId, rejected } = await postReview(octokit, { owner, repo, number: 12 }, { commitId, body, comments });
 */
export async function postReview(
  octokit: GitHubClient,
  target: IssueTarget,
  review: { commitId: string; body: string; comments: ReviewComment[] },
): Promise<PostedReview> {
  const { owner, repo, number } = target;
  const create = (comments: ReviewComment[], event: "COMMENT" | undefined) =>
    octokit.rest.pulls.createReview({
      owner,
      repo,
      pull_number: number,
      commit_id: review.commitId,
      body: review.body,
      comments,
      ...(event && { event }),
    });
  const rejected: PostedReview["rejected"] = [];
  /** The comments of `set` GitHub accepts, trying halves as pending reviews that are deleted again. */
  const accepted = async (set: ReviewComment[]): Promise<ReviewComment[]> => {
    try {
      const { data } = await create(set, undefined);
      await octokit.rest.pulls.deletePendingReview({ owner, repo, pull_number: number, review_id: data.id });
      return set;
    } catch (error) {
      if (!isUnprocessable(error)) throw toGitHubApiError(error, `check review comments on #${number}`);
      const [only] = set;
      if (set.length === 1 && only) {
        rejected.push({ comment: only, reason: messageOf(error) });
        return [];
      }
      const half = Math.ceil(set.length / 2);
      return [...(await accepted(set.slice(0, half))), ...(await accepted(set.slice(half)))];
    }
  };
  if (review.comments.length === 0) return { reviewId: undefined, posted: [], rejected };
  try {
    const { data } = await create(review.comments, "COMMENT");
    return { reviewId: data.id, posted: review.comments, rejected };
  } catch (error) {
    if (!isUnprocessable(error)) throw toGitHubApiError(error, `post the review on #${number}`);
  }
  const good = await accepted(review.comments);
  if (good.length === 0) return { reviewId: undefined, posted: [], rejected };
  const { data } = await withGitHubErrors(`post the review on #${number}`, () => create(good, "COMMENT"));
  return { reviewId: data.id, posted: good, rejected };
}

/**
 * The inline comments of one review: id and body (bodies carry each finding's marker).
 *
 * @example
 * const comments = await listReviewComments(octokit, target, reviewId);
 */
export async function listReviewComments(
  octokit: GitHubClient,
  target: IssueTarget,
  reviewId: number,
): Promise<{ id: number; body: string }[]> {
  return withGitHubErrors(`read the comments of review ${reviewId}`, async () => {
    const comments = await octokit.paginate(octokit.rest.pulls.listCommentsForReview, {
      owner: target.owner,
      repo: target.repo,
      pull_number: target.number,
      review_id: reviewId,
      per_page: 100,
    });
    return comments.map((comment) => ({ id: comment.id, body: comment.body }));
  });
}

/** A review thread as Loopwright needs it: whose comment opened it, and whether someone resolved it. */
export type ReviewThread = {
  id: string;
  /** The REST id of the thread's first comment. */
  firstCommentId: number | undefined;
  isResolved: boolean;
  resolvedBy: string | undefined;
};

const THREADS_QUERY = `query($owner: String!, $repo: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $repo) {
    pullRequest(number: $number) {
      reviewThreads(first: 100, after: $cursor) {
        pageInfo { hasNextPage endCursor }
        nodes { id isResolved resolvedBy { login } comments(first: 1) { nodes { databaseId } } }
      }
    }
  }
}`;

type ThreadsPage = {
  repository?: {
    pullRequest?: {
      reviewThreads: {
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
        nodes: {
          id: string;
          isResolved: boolean;
          resolvedBy: { login: string } | null;
          comments: { nodes: { databaseId: number | null }[] };
        }[];
      };
    } | null;
  } | null;
};

/** A GraphQL call through Octokit's client (it knows GitHub Enterprise's GraphQL address and throws on errors). */
function graphql<T>(
  octokit: GitHubClient,
  action: string,
  query: string,
  variables: Record<string, unknown>,
): Promise<T> {
  return withGitHubErrors(action, () => octokit.graphql<T>(query, variables));
}

/**
 * Every review thread of a pull request (GraphQL; REST has no thread state).
 *
 * @example
 * const threads = await listReviewThreads(octokit, { owner, repo, number: 12 });
 */
export async function listReviewThreads(octokit: GitHubClient, target: IssueTarget): Promise<ReviewThread[]> {
  const threads: ReviewThread[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const answer: ThreadsPage = await graphql<ThreadsPage>(
      octokit,
      `read the review threads of #${target.number}`,
      THREADS_QUERY,
      { owner: target.owner, repo: target.repo, number: target.number, cursor },
    );
    const connection = answer.repository?.pullRequest?.reviewThreads;
    if (!connection) break;
    for (const node of connection.nodes) {
      threads.push({
        id: node.id,
        firstCommentId: node.comments.nodes[0]?.databaseId ?? undefined,
        isResolved: node.isResolved,
        resolvedBy: node.resolvedBy?.login,
      });
    }
    if (!connection.pageInfo.hasNextPage) break;
    cursor = connection.pageInfo.endCursor;
  }
  return threads;
}

/**
 * Resolves a review thread (only ever one of Loopwright's own).
 *
 * @example
 * await resolveReviewThread(octokit, "PRRT_kwDO…");
 */
export async function resolveReviewThread(octokit: GitHubClient, threadId: string): Promise<void> {
  await graphql(
    octokit,
    "resolve a review thread",
    "mutation($id: ID!) { resolveReviewThread(input: { threadId: $id }) { thread { id isResolved } } }",
    { id: threadId },
  );
}

/**
 * Replies on the thread of a review comment.
 *
 * @example
 * await replyToReviewComment(octokit, { owner, repo, number: 12 }, 555, "Fixed in abc1234.");
 */
export async function replyToReviewComment(
  octokit: GitHubClient,
  target: IssueTarget,
  commentId: number,
  body: string,
): Promise<void> {
  await withGitHubErrors(`reply to review comment ${commentId}`, () =>
    octokit.rest.pulls.createReplyForReviewComment({
      owner: target.owner,
      repo: target.repo,
      pull_number: target.number,
      comment_id: commentId,
      body,
    }),
  );
}
