import type { Queryable } from "../store/database.ts";
import type { TaskQueue } from "../store/queue.ts";
import { cancelTasksOf, tokensSpentSince } from "../store/repository-tasks.ts";
import type { WebhookDependencies } from "./webhook-handler.ts";

/**
 * The webhook handlers' store operations on the real database and queue.
 *
 * @example
 * server.load(createApp(storeWebhookDependencies(runtime.db, runtime.queue)));
 */
export function storeWebhookDependencies(db: Queryable, queue: TaskQueue): WebhookDependencies {
  return {
    async submitTask(task) {
      const { task: stored, created } = await queue.submit(task);
      return { taskId: stored.id, created };
    },
    cancelTasks: (repository, number) => cancelTasksOf(db, repository, number),
    tokensToday(repository) {
      const now = new Date();
      return tokensSpentSince(
        db,
        repository,
        new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())),
      );
    },
  };
}
