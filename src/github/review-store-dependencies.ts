import type { Database } from "../store/database.ts";
import type { TaskQueue } from "../store/queue.ts";
import {
  dismissFinding,
  findFinding,
  reviewPullState,
  setReviewPaused,
  supersedeReviews,
} from "../store/reviews.ts";
import type { NewTask } from "../store/tasks.ts";
import type { ReviewIntakeDependencies } from "./review-intake.ts";

/**
 * The review webhooks' store operations on the real database and queue. A new review task
 * supersedes the pull request's unfinished ones (queued ones end at once: pushes close together are
 * coalesced into the last).
 *
 * @example
 * const deps = { ...storeWebhookDependencies(db, queue), reviews: storeReviewDependencies(db, queue) };
 */
export function storeReviewDependencies(db: Database, queue: TaskQueue): ReviewIntakeDependencies {
  return {
    async submitReview({ limits, ...request }) {
      const task: NewTask = { ...request, kind: "review" };
      const result = limits ? await queue.submit({ ...task, limits }) : await queue.submit(task);
      if (result.status !== "accepted") return result;
      if (result.created) await supersedeReviews(db, request.repository, request.number, result.task.id);
      return { taskId: result.task.id, created: result.created };
    },
    reviewPaused: async (repository, number) => (await reviewPullState(db, repository, number)).paused,
    setReviewPaused: (repository, number, paused) => setReviewPaused(db, repository, number, paused),
    findFinding: (repository, number, ref) => findFinding(db, repository, number, ref),
    async dismissFinding(repository, number, ref, by) {
      return (await dismissFinding(db, repository, number, ref, by))?.ordinal;
    },
  };
}
