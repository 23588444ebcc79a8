import { loadSettings } from "../config/settings.ts";
import { type Database, databaseOptions, openDatabase } from "../store/database.ts";
import { migrate } from "../store/migrate.ts";
import { listSteps, type Step } from "../store/steps.ts";
import { getTask, listTasks, TASK_STATUSES, type Task, type TaskStatus } from "../store/tasks.ts";
import { RESULT_SIDE_EFFECT } from "../tasks/submit.ts";
import { defineCommand, integerOption, UsageError } from "./command.ts";

async function withDatabase<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(databaseOptions(loadSettings()));
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

function taskLine(task: Task): string {
  const target = task.number === null ? task.repository : `${task.repository}#${task.number}`;
  const said = task.sideEffects[RESULT_SIDE_EFFECT];
  const result = task.prUrl ?? task.error ?? (typeof said === "string" ? said : "");
  return [
    String(task.id).padStart(6),
    task.status.padEnd(16),
    task.kind.padEnd(8),
    task.createdAt.toISOString().slice(0, 19).replace("T", " "),
    target,
    result,
  ]
    .join("  ")
    .trimEnd();
}

/** One line per step: attempt.seq, kind, duration, and a short view of the payload. */
export function stepLine(step: Step): string {
  const duration = step.durationMs === null ? "" : ` (${step.durationMs} ms)`;
  const payload = JSON.stringify(step.payload);
  const shown = payload.length > 160 ? `${payload.slice(0, 157)}...` : payload;
  return `  ${step.attempt}.${step.seq}  ${step.kind}${duration}  ${shown === "{}" ? "" : shown}`.trimEnd();
}

export const tasksCommand = defineCommand({
  name: "tasks",
  usage: `
Usage: loopwright tasks [--status STATUS] [--limit N] [--json]

Lists recent tasks, newest first (read from DATABASE_READ_URL when set). STATUS is one of
${TASK_STATUSES.join(", ")}.`,
  options: { status: { type: "string" }, limit: { type: "string" }, json: { type: "boolean" } },
  async run({ values }) {
    const status = values.status;
    if (status !== undefined && !TASK_STATUSES.includes(status as TaskStatus)) {
      throw new UsageError(
        `--status expects one of ${TASK_STATUSES.join(", ")} (got ${JSON.stringify(status)})`,
      );
    }
    const limit = integerOption("limit", values.limit, 1) ?? 30;
    const tasks = await withDatabase((db) =>
      listTasks(db.reader, { ...(status ? { status: status as TaskStatus } : {}), limit }),
    );
    if (values.json) console.log(JSON.stringify(tasks, null, 2));
    else if (tasks.length === 0) console.log("no tasks");
    else for (const task of tasks) console.log(taskLine(task));
    return 0;
  },
});

export const taskCommand = defineCommand({
  name: "task",
  usage: `
Usage: loopwright task [--json] ID

Shows a task (status, attempts, outcome) and its step log over all attempts.`,
  options: { json: { type: "boolean" } },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const id = Number(positionals[0]);
    if (!Number.isInteger(id) || id < 1) {
      throw new UsageError(`ID must be a task number such as 42 (got ${JSON.stringify(positionals[0])})`);
    }
    const found = await withDatabase(async (db) => {
      const task = await getTask(db.reader, id);
      return task && { task, steps: await listSteps(db.reader, id) };
    });
    if (!found) {
      console.error(`loopwright task: no task ${id}`);
      return 1;
    }
    if (values.json) {
      console.log(JSON.stringify(found, null, 2));
      return 0;
    }
    const { task, steps } = found;
    console.log(taskLine(task));
    console.log(
      `  attempt ${task.attempt}, requested by ${task.requester ?? "-"} via ${task.trigger}, ${task.tokens} tokens`,
    );
    for (const step of steps) console.log(stepLine(step));
    return 0;
  },
});
