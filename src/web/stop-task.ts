import type { Database } from "../store/database.ts";
import { FINISHED_STATUSES, requestCancel, type Task } from "../store/tasks.ts";
import type { Access } from "./access.ts";

export type StopResult =
  | { status: "stopping"; task: Task }
  | { status: "finished"; task: Task }
  | { status: "forbidden"; reason: string };

/**
 * Stops a task for a viewer with write access to its repository: the task cancel path
 * (`requestCancel`, on the primary): a queued task is cancelled at once, a running one is flagged
 * and its worker, in whatever process, aborts it within about a second.
 *
 * @example
 * const result = await stopTask(db, access, task);
 * if (result.status === "forbidden") return forbidden(result.reason);
 */
export async function stopTask(db: Database, access: Access, task: Task): Promise<StopResult> {
  if (!(await access.canStop(task.repository))) {
    return { status: "forbidden", reason: `stopping a task needs write access to ${task.repository}` };
  }
  if (FINISHED_STATUSES.includes(task.status)) return { status: "finished", task };
  const after = (await requestCancel(db, task.id)) ?? task;
  return { status: FINISHED_STATUSES.includes(after.status) ? "finished" : "stopping", task: after };
}
