import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { formatDuration } from "../agent/event-summary.ts";
import type { AgentEvent, FinalEvent } from "../agent/events.ts";
import type { Database, Queryable } from "../store/database.ts";
import type { TaskQueue } from "../store/queue.ts";
import { readerAfter, writePosition } from "../store/read-your-writes.ts";
import { listSteps, type Step } from "../store/steps.ts";
import { FINISHED_STATUSES, getTask, requestCancel, type Task, type TaskOutcome } from "../store/tasks.ts";
import type { SubmitInput } from "../tasks/submit.ts";
import { RESULT_SIDE_EFFECT } from "../tasks/submit-result.ts";
import type { ChangedFile } from "../workspace/commit-push.ts";
import { parseRepositoryUrl } from "../workspace/repository-url.ts";
import { defineCommand, UsageError } from "./command.ts";
import { changeSummary, createStepPrinter, type StepPrinter } from "./step-printer.ts";
import { stepLine } from "./tasks.ts";

/** Exit codes by how the task ended, as `loopwright run` uses them for the agent's outcome. */
const EXIT_CODES: Record<TaskOutcome["status"], number> = {
  succeeded: 0,
  failed: 1,
  budget_exhausted: 3,
  cancelled: 130,
};

const POLL_MS = 300;
const AGENT_EVENT_KINDS = new Set<string>(["model_turn", "tool_call", "plan_update", "compaction", "final"]);

/** `--repo` as the task stores it: URLs as given, local paths made absolute (and checked to exist). */
function repositoryArgument(value: string): string {
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
  const repo = isUrl ? value : path.resolve(value);
  if (!isUrl && !existsSync(repo)) throw new UsageError(`--repo: there is no repository at ${repo}`);
  // A working tree has .git; a bare repository has HEAD and objects/ at its top.
  const isRepository =
    existsSync(path.join(repo, ".git")) ||
    (existsSync(path.join(repo, "HEAD")) && existsSync(path.join(repo, "objects")));
  if (!isUrl && !isRepository) {
    throw new UsageError(
      `--repo: ${repo} is not a git repository (give the folder where one starts, or its URL)`,
    );
  }
  try {
    parseRepositoryUrl(repo);
  } catch (error) {
    throw new UsageError(`--repo: ${(error as Error).message}`);
  }
  return repo;
}

/**
 * Prints a step of a task's log: agent events as `loopwright run` prints them (each command as it
 * starts), the session's own steps (workspace, setup, push) in words, anything else as
 * `loopwright task` shows it.
 *
 * @example
 * printStep(printer, { kind: "push", payload: { status: "pushed", branch: "agent/run-7", sha: "4f1c…" }, … });
 * // "pushed agent/run-7 (4f1c2ab93e01)"
 */
function printStep(printer: StepPrinter, step: Step): void {
  const payload = (step.payload ?? {}) as Record<string, unknown>;
  if (AGENT_EVENT_KINDS.has(step.kind)) printer.print(payload as AgentEvent);
  else console.log(sessionStepLine(step, payload));
}

function sessionStepLine(step: Step, payload: Record<string, unknown>): string {
  const text = (value: unknown) => String(value ?? "");
  switch (step.kind) {
    case "workspace":
      return `workspace · ${text(payload.branch)} from ${text(payload.baseSha).slice(0, 12)}`;
    case "setup":
      return `setup · ${text(payload.command)} → exit ${text(payload.exitCode)} (${formatDuration(Number(payload.durationMs))})`;
    case "push":
      return payload.status === "pushed"
        ? `pushed ${text(payload.branch)} (${text(payload.sha).slice(0, 12)})`
        : `nothing to push: ${text(payload.message)}`;
    default:
      return stepLine(step).trim();
  }
}

/**
 * Prints a task's steps as they are stored, until the task has ended and every step is printed;
 * resolves to the finished task, or undefined when `signal` stops the following first.
 */
async function followTask(
  reader: Queryable,
  id: number,
  print: (step: Step) => void,
  signal: AbortSignal,
): Promise<Task | undefined> {
  let cursor: { attempt: number; seq: number } | undefined;
  for (;;) {
    // The task before its steps: once it is seen finished, the steps read next are all there are.
    const task = await getTask(reader, id);
    const steps = await listSteps(reader, id, cursor);
    for (const step of steps) {
      if (step.attempt !== cursor?.attempt && step.attempt > 1) console.log(`— attempt ${step.attempt} —`);
      print(step);
      cursor = { attempt: step.attempt, seq: step.seq };
    }
    if (!task) throw new Error(`task ${id} no longer exists`);
    if (FINISHED_STATUSES.includes(task.status) && steps.length === 0) return task;
    if (signal.aborted) return undefined;
    // Aborting the sleep rejects it; the check above then ends the loop.
    if (steps.length === 0) await sleep(POLL_MS, undefined, { signal }).catch(() => {});
  }
}

/**
 * Follows the task to its end, prints the outcome, and resolves to the exit code. The task was just
 * written: it is read from the replica once that has replayed the write (briefly waited for), else
 * from the primary.
 */
async function waitForTask(
  db: Database,
  task: Task,
  onInterrupt: (stop: () => void) => void,
): Promise<number> {
  console.log(`task ${task.id}: ${task.repository}${task.input.ref ? ` at ${String(task.input.ref)}` : ""}`);
  const stopFollowing = new AbortController();
  const interrupted = () => {
    process.off("SIGINT", interrupted);
    onInterrupt(() => stopFollowing.abort());
  };
  process.on("SIGINT", interrupted);
  let final: FinalEvent | undefined;
  let changed: ChangedFile[] | undefined;
  const printer = createStepPrinter((line) => console.log(line));
  try {
    const { reader } = await readerAfter(db, await writePosition(db));
    const ended = await followTask(
      reader,
      task.id,
      (step) => {
        if (step.kind === "final") final = step.payload as FinalEvent;
        if (step.kind === "push") changed = (step.payload as { files?: ChangedFile[] }).files;
        printStep(printer, step);
      },
      stopFollowing.signal,
    );
    if (!ended) {
      console.error(
        `loopwright submit: stopped following task ${task.id}; it goes on (loopwright task ${task.id})`,
      );
      return 130;
    }
    if (ended.status === "succeeded") {
      if (final?.message) console.log(`\n${final.message}`);
      console.log(`\ntask ${ended.id} succeeded: ${String(ended.sideEffects[RESULT_SIDE_EFFECT] ?? "")}`);
      const stats = (changed ?? []).map((file) => ({
        path: file.path,
        added: file.added ?? null,
        removed: file.removed ?? null,
      }));
      for (const line of changeSummary(stats)) console.log(line);
    } else {
      console.error(
        `loopwright submit: task ${ended.id} ${ended.status}: ${ended.error ?? "no reason given"}`,
      );
    }
    return EXIT_CODES[ended.status as TaskOutcome["status"]];
  } finally {
    process.off("SIGINT", interrupted);
  }
}

export const submitCommand = defineCommand({
  name: "submit",
  usage: `
Usage: loopwright submit --repo URL_OR_PATH [--ref REF] [--replay FILE] [--wait] "TASK"

Creates a task that needs no GitHub: a worker runs the agent in a workspace of the repository
(an https or file:// URL, or a local path) at REF — a branch, else a tag, else a commit id; the
default branch when absent — and, when the agent changed files, pushes the commit back to that
remote as agent/run-<task id>. The model comes from LOOPWRIGHT_MODEL / OPENAI_API_KEY /
OPENAI_BASE_URL; --replay replays a recorded transcript instead (the worker must be able to read
FILE). Prints the task id.

--wait follows the step log as \`loopwright run\` prints it (each command as it starts, the tail
of a failing one's output) until the task ends, then lists the changed files with a diffstat. Exit status: 0 succeeded (the pushed branch, or "nothing changed"), 1 failed, 3 budget
exhausted, 130 cancelled or interrupted.

With DATABASE_URL the task goes to the shared queue and any \`loopwright worker\` runs it; Ctrl-C
during --wait stops following, not the task. Without DATABASE_URL (the embedded database, which
one process at a time may open) --wait is required: this process runs a worker for the task's
duration, and Ctrl-C cancels the task; it then needs OPENAI_API_KEY (or OPENAI_BASE_URL) unless
--replay is given, checked before the task is created.`,
  options: {
    repo: { type: "string" },
    ref: { type: "string" },
    replay: { type: "string" },
    wait: { type: "boolean" },
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const prompt = positionals[0]?.trim() ?? "";
    if (prompt === "") throw new UsageError("the task text is empty; say what the agent should do");
    if (values.repo === undefined) throw new UsageError("--repo is required: the repository to work on");
    const repo = repositoryArgument(values.repo);
    const ref = values.ref?.trim();
    if (ref === "") throw new UsageError("--ref is empty");
    const replay = values.replay === undefined ? undefined : path.resolve(values.replay);
    if (replay !== undefined && !existsSync(replay)) throw new UsageError(`--replay: no file ${replay}`);
    // Loaded once the arguments are known to be good: --help and argument errors answer without them.
    const [
      { loadSettings },
      { createLogger },
      { databaseOptions, openDatabase },
      { migrate },
      { startQueue },
    ] = await Promise.all([
      import("../config/settings.ts"),
      import("../logger.ts"),
      import("../store/database.ts"),
      import("../store/migrate.ts"),
      import("../store/queue.ts"),
    ]);
    const settings = loadSettings();
    const wait = values.wait === true;
    if (!settings.database.url && !wait) {
      throw new UsageError(
        "without DATABASE_URL nothing else can run the task (the embedded database is open to one " +
          "process at a time): add --wait to run it in this process, or set DATABASE_URL and run `loopwright worker`",
      );
    }
    // This process runs the task: a model it cannot call would fail it at the first step.
    if (!settings.database.url && replay === undefined && !settings.model.apiKey && !settings.model.baseUrl) {
      throw new UsageError(
        "OPENAI_API_KEY is not set, so the agent has no model to call: set it (or OPENAI_BASE_URL for a compatible server), or replay a transcript with --replay FILE",
      );
    }
    const input: SubmitInput = { repo, prompt, ...(ref && { ref }), ...(replay && { replay }) };
    const submit = (queue: TaskQueue) =>
      queue.submit({
        kind: "submit",
        repository: repo,
        trigger: "cli",
        requester: os.userInfo().username,
        input,
      });

    if (!settings.database.url) {
      // Only warnings from the in-process worker, unless LOG_LEVEL asks for more: stdout is the step log.
      const log = createLogger({ logLevel: process.env.LOG_LEVEL ? settings.logLevel : "warn" });
      const { startWorkerRuntime } = await import("../worker/run-worker.ts");
      const runtime = await startWorkerRuntime(settings, log);
      try {
        const { task } = await submit(runtime.queue);
        return await waitForTask(runtime.db, task, () => {
          console.error(`loopwright submit: cancelling task ${task.id}`);
          requestCancel(runtime.db, task.id).catch((error: unknown) =>
            console.error(`loopwright submit: cannot cancel task ${task.id}: ${String(error)}`),
          );
        });
      } finally {
        await runtime.stop();
      }
    }

    const db = await openDatabase(databaseOptions(settings));
    try {
      await migrate(db);
      const queue = await startQueue(db);
      try {
        const { task } = await submit(queue);
        if (!wait) {
          console.log(task.id);
          return 0;
        }
        return await waitForTask(db, task, (stop) => stop());
      } finally {
        await queue.stop();
      }
    } finally {
      await db.close();
    }
  },
});
