import type { Database } from "../store/database.ts";
import type { TaskQueue } from "../store/queue.ts";
import { cancelTasksOf, tokensSpentToday } from "../store/repository-tasks.ts";
import { startScheduleRun } from "../store/schedule-firing.ts";
import type { MaintenanceDependencies } from "./maintenance-events.ts";
import { storeReviewDependencies } from "./review-store-dependencies.ts";
import type { WebhookDependencies } from "./webhook-handler.ts";

/**
 * The webhook handlers' store operations on the real database and queue.
 *
 * @example
 * server.load(createApp(storeWebhookDependencies(runtime.db, runtime.queue)));
 */
export function storeWebhookDependencies(db: Database, queue: TaskQueue): WebhookDependencies {
  return {
    async submitTask(task) {
      const result = await queue.submit(task);
      if (result.status !== "accepted") return result;
      return { taskId: result.task.id, created: result.created };
    },
    cancelTasks: (repository, number) => cancelTasksOf(db, repository, number),
    tokensToday: (repository) => tokensSpentToday(db, repository),
    reviews: storeReviewDependencies(db, queue),
    maintenance: storeMaintenanceDependencies(db, queue),
  };
}

/**
 * The maintenance webhooks' store operations (schedules, runs started by people) on the real
 * database and queue.
 *
 * @example
 * registerMaintenanceHandlers(app, storeMaintenanceDependencies(runtime.db, runtime.queue));
 */
export function storeMaintenanceDependencies(db: Database, queue: TaskQueue): MaintenanceDependencies {
  return {
    db,
    startRun: (schedule, trigger, eventKey) =>
      startScheduleRun({ db, queue }, schedule, trigger, eventKey, new Date()),
  };
}
