import type { Database } from "./database.ts";
import type { TaskQueue } from "./queue.ts";
import { claimDueSlots, type RunTrigger, recordRuns, type Schedule } from "./schedules.ts";
import { findRequestedTask } from "./tasks.ts";

/** The task input of a `maintain` run: which schedule, and which slot (its run row names the task). */
export type MaintainTaskInput = { scheduleId: number; slot: string; late: boolean };

/**
 * Claims the due slots and creates their `maintain` tasks, queue jobs and run rows in one
 * transaction: a slot is claimed together with its task or not at all (a process killed mid-tick
 * leaves it due for the next tick of any process). The claim's row locks, the task's event key
 * `schedule:<id>:<slot>` and the run row's unique (schedule, slot) key each make a slot fire once.
 *
 * @example
 * const started = await fireDueSchedules({ db, queue }, new Date());
 */
export async function fireDueSchedules(
  options: { db: Database; queue: TaskQueue; batch?: number; lateAfterMs?: number },
  now: Date,
): Promise<number> {
  const { db, queue } = options;
  return db.transaction(async (tx) => {
    const slots = await claimDueSlots(tx, now, options.batch ?? 200, options.lateAfterMs ?? 120_000);
    const runs = [];
    for (const slot of slots) {
      const input: MaintainTaskInput = {
        scheduleId: slot.scheduleId,
        slot: slot.slot.toISOString(),
        late: slot.late,
      };
      const { task, created } = await queue.submitWithin(tx, {
        kind: "maintain",
        repository: slot.repository,
        ...(slot.installationId !== null && { installationId: slot.installationId }),
        trigger: "schedule",
        eventKey: `schedule:${slot.scheduleId}:${input.slot}`,
        input,
      });
      if (created) runs.push({ ...slot, trigger: "schedule" as const, taskId: task.id });
    }
    const recorded = await recordRuns(tx, runs);
    if (recorded.length !== runs.length) {
      throw new Error("a slot claimed in this tick already has a run; the tick is rolled back");
    }
    return recorded.length;
  });
}

/**
 * Starts a run a person asked for ("Run now" on the dashboard, `/agent run <name>`): its `maintain`
 * task and run row in one transaction, once per `eventKey` (a redelivered event finds the task).
 *
 * @example
 * await startScheduleRun({ db, queue }, schedule, "command", "comment:42", new Date());
 */
export async function startScheduleRun(
  options: { db: Database; queue: TaskQueue },
  schedule: Pick<Schedule, "id" | "repository" | "installationId">,
  trigger: Exclude<RunTrigger, "schedule">,
  eventKey: string,
  now: Date,
): Promise<{ taskId: number; created: boolean }> {
  return options.db.transaction(async (tx) => {
    const existing = await findRequestedTask(tx, { eventKey });
    if (existing) return { taskId: existing.id, created: false };
    const input: MaintainTaskInput = { scheduleId: schedule.id, slot: now.toISOString(), late: false };
    const { task, created } = await options.queue.submitWithin(tx, {
      kind: "maintain",
      repository: schedule.repository,
      ...(schedule.installationId !== null && { installationId: schedule.installationId }),
      trigger,
      eventKey,
      input,
    });
    const recorded = await recordRuns(tx, [
      { scheduleId: schedule.id, slot: now, trigger, late: false, taskId: task.id },
    ]);
    if (recorded.length === 0)
      throw new Error("another run of this schedule started at the same moment; ask again");
    return { taskId: task.id, created };
  });
}
