/**
 * The event that asked for a task. Its identity, not the webhook delivery id, makes submitting
 * idempotent: GitHub (or anyone replaying a signed body) may deliver the same event again under a new
 * delivery id.
 */
export type StartSource =
  | { type: "comment"; commentId: number }
  | { type: "review"; reviewId: number }
  /** `issueUpdatedAt` is the issue's `updated_at` in the `issues.labeled` payload. */
  | { type: "label"; label: string; issueUpdatedAt: string }
  /** An automatic review: the pull request event's action and the head commit it saw. */
  | { type: "pull_request"; action: string; headSha: string };

/**
 * The idempotency key of a request, stored with its task (one task per key, ever):
 * - a comment: `comment:<comment id>`, a review: `review:<review id>` (GitHub ids, never reused);
 * - an automatic review: `pull_request:<owner/name>#<number>:<action>:<head sha>` (a push is a new head);
 * - a label: `label:<owner/name>#<number>:<label>:<issue updated_at>`. A labeling event carries no id
 *   of its own, but adding a label updates the issue, and a redelivery carries the same payload, so
 *   the same `updated_at`; removing the label and adding it again later is a new request.
 *
 * @example
 * eventKeyOf({ repository: "octo/app", number: 7, source: { type: "comment", commentId: 42 } });
 * // "comment:42"
 */
export function eventKeyOf(request: { repository: string; number: number; source: StartSource }): string {
  const { source } = request;
  switch (source.type) {
    case "comment":
      return `comment:${source.commentId}`;
    case "review":
      return `review:${source.reviewId}`;
    case "label":
      return `label:${request.repository}#${request.number}:${source.label}:${source.issueUpdatedAt}`;
    case "pull_request":
      return `pull_request:${request.repository}#${request.number}:${source.action}:${source.headSha}`;
  }
}
