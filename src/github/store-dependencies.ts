import type { Queryable } from "../store/database.ts";
import type { TaskQueue } from "../store/queue.ts";
import { cancelTasksOf, tokensSpentToday } from "../store/repository-tasks.ts";
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
      const result = await queue.submit(task);
      if (result.status !== "accepted") return result;
      return { taskId: result.task.id, created: result.created };
    },
    cancelTasks: (repository, number) => cancelTasksOf(db, repository, number),
    tokensToday: (repository) => tokensSpentToday(db, repository),
  };
}
