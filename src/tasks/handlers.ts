import type { Settings } from "../config/settings.ts";
import type { TaskHandler } from "../worker/task-handler.ts";

/**
 * The handler of each task kind a worker runs. Each kind's module (`fix.ts`, `iterate.ts`, …) adds
 * its entry here; a task whose kind has no entry fails with a message naming the kind.
 *
 * @example
 * const worker = await startWorker({ db, queue, handlers: createTaskHandlers(settings), log });
 */
export function createTaskHandlers(_settings: Settings): Map<string, TaskHandler> {
  return new Map<string, TaskHandler>();
}
