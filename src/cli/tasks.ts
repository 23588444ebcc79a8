import type { Database } from "../store/database.ts";
import { findTask } from "../store/read-your-writes.ts";
import { listSteps, type Step } from "../store/steps.ts";
import { getTask, listTasks, TASK_STATUSES, type Task, type TaskStatus } from "../store/tasks.ts";
import { readTranscript } from "../store/transcripts.ts";
import { RESULT_SIDE_EFFECT } from "../tasks/submit-result.ts";
import type { TaskApiClient } from "../web/api-client.ts";
import { defineCommand, integerOption, UsageError } from "./command.ts";

/**
 * Reads from the database, or — when a running `loopwright serve` holds the embedded database —
 * through that server's /api/v1 (at LOOPWRIGHT_URL, default http://localhost:PORT) as the local
 * administrator, with the token it wrote into the data folder.
 */
async function withDatabase<T>(
  fn: (db: Database) => Promise<T>,
  viaApi: (api: TaskApiClient) => Promise<T>,
): Promise<T> {
  // Loaded here: `tasks --help` and argument errors answer without the database drivers.
  const [
    { loadSettings },
    { databaseOptions, openDatabase },
    { DirectoryLockedError },
    { migrate },
    { createTaskApiClient },
    { readLocalToken },
  ] = await Promise.all([
    import("../config/settings.ts"),
    import("../store/database.ts"),
    import("../store/directory-lock.ts"),
    import("../store/migrate.ts"),
    import("../web/api-client.ts"),
    import("../web/local-token.ts"),
  ]);
  const settings = loadSettings();
  let db: Database;
  try {
    db = await openDatabase(databaseOptions(settings));
  } catch (error) {
    const token = error instanceof DirectoryLockedError ? readLocalToken(settings.dataDir) : undefined;
    if (token === undefined) throw error;
    return viaApi(createTaskApiClient(settings.web.localUrl, token));
  }
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

/** The column names above `taskLine` rows. */
const TASKS_HEADER = [
  "ID".padStart(6),
  "STATUS".padEnd(16),
  "KIND".padEnd(8),
  "CREATED (UTC)".padEnd(19),
  "TARGET",
  "RESULT",
].join("  ");

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
    const filter = { ...(status ? { status: status as TaskStatus } : {}), limit };
    const tasks = await withDatabase(
      (db) => listTasks(db.reader, filter),
      (api) => api.listTasks(filter),
    );
    if (values.json) console.log(JSON.stringify(tasks, null, 2));
    else if (tasks.length === 0) console.log("no tasks");
    else {
      console.log(TASKS_HEADER);
      for (const task of tasks) console.log(taskLine(task));
    }
    return 0;
  },
});

export const taskCommand = defineCommand({
  name: "task",
  usage: `
Usage: loopwright task [--json | --transcript] ID

Shows a task (status, plan, outcome) and its step log over all attempts: each step with its tool or
kind, what it ran, exit code, tokens and time, and an excerpt of its output (colours on a terminal;
NO_COLOR turns them off). --json prints the task and its steps as JSON; --transcript prints the
latest attempt's stored transcript (JSONL), ready for 'loopwright replay'.`,
  options: { json: { type: "boolean" }, transcript: { type: "boolean" } },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const id = Number(positionals[0]);
    if (!Number.isInteger(id) || id < 1) {
      throw new UsageError(`ID must be a task number such as 42 (got ${JSON.stringify(positionals[0])})`);
    }
    if (values.json && values.transcript) throw new UsageError("choose one of --json and --transcript");
    if (values.transcript) {
      const transcript = await withDatabase(
        async (db) => ((await findTask(db, id)) ? readTranscript(db.reader, id) : undefined),
        (api) => api.transcript(id),
      );
      if (transcript === undefined) {
        console.error(`loopwright task: no task ${id}`);
        return 1;
      }
      if (transcript === "") console.error(`loopwright task: task ${id} has no stored transcript`);
      process.stdout.write(transcript);
      return 0;
    }
    const found = await withDatabase(
      async (db) => {
        // Found on the primary when the replica does not have it yet: steps are read there too.
        const task = await getTask(db.reader, id);
        if (task) return { task, steps: await listSteps(db.reader, id) };
        const fresh = await findTask(db, id);
        return fresh && { task: fresh, steps: await listSteps(db, id) };
      },
      (api) => api.getTask(id),
    );
    if (!found) {
      console.error(`loopwright task: no task ${id}`);
      return 1;
    }
    if (values.json) {
      console.log(JSON.stringify(found, null, 2));
      return 0;
    }
    const { task, steps } = found;
    const [{ renderTaskText }, { toStepView }] = await Promise.all([
      import("../web/step-log-text.ts"),
      import("../web/step-view.ts"),
    ]);
    const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
    console.log(renderTaskText(task, steps.map(toStepView), { width: process.stdout.columns ?? 100, color }));
    return 0;
  },
});
