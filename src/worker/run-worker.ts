import type { Settings } from "../config/settings.ts";
import type { Logger } from "../logger.ts";
import { type Database, databaseOptions, openDatabase } from "../store/database.ts";
import { migrate } from "../store/migrate.ts";
import { startQueue, type TaskQueue } from "../store/queue.ts";
import { createTaskHandlers } from "../tasks/handlers.ts";
import { detectSandboxMode } from "../workspace/sandbox.ts";
import { startWorker, type Worker } from "./worker.ts";

export type WorkerRuntime = { db: Database; queue: TaskQueue; worker: Worker; stop(): Promise<void> };

/**
 * Opens the database from the settings, migrates it, starts the queue and a worker with every
 * task kind's handler; `stop()` undoes it all in order (running tasks get the grace period).
 * Meanwhile it checks the sandbox once, so the first task does not wait for that check and a
 * sandbox that does not work here is logged at start-up (tasks then fail saying why).
 *
 * @example
 * const runtime = await startWorkerRuntime(settings, log);
 * await runtime.stop();
 */
export async function startWorkerRuntime(settings: Settings, log: Logger): Promise<WorkerRuntime> {
  // The outcome is cached for the process; a failure is logged there and reported by each task.
  detectSandboxMode(settings.sandbox, log).catch(() => {});
  const db = await openDatabase(databaseOptions(settings));
  try {
    await migrate(db);
    const tasks = await createTaskHandlers(settings, log);
    const queue = await startQueue(db);
    const worker = await startWorker({
      db,
      queue,
      handlers: tasks.handlers,
      log,
      concurrency: {
        interactive: settings.workerConcurrency,
        background: Math.max(1, Math.floor(settings.workerConcurrency / 2)),
      },
    });
    return {
      db,
      queue,
      worker,
      async stop() {
        await worker.stop();
        await queue.stop();
        await tasks.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
