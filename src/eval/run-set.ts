import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Database } from "../store/database.ts";
import { acquireDirectoryLock, DirectoryLockedError } from "../store/directory-lock.ts";
import type { TaskQueue } from "../store/queue.ts";
import { listSteps } from "../store/steps.ts";
import { readTaskFile, writeTaskFile } from "../store/task-files.ts";
import { FINISHED_STATUSES, findRequestedTask, getTasks, requestCancel, type Task } from "../store/tasks.ts";
import { readTranscript } from "../store/transcripts.ts";
import { readReplayTranscript } from "./eval-models.ts";
import {
  EVAL_FATAL_SIDE_EFFECT,
  EVAL_FILES,
  type EvalModelSpec,
  type EvalRequest,
  evalTaskKey,
  REPO_CONFIG_STEP,
} from "./eval-request.ts";
import { errorResult } from "./eval-task.ts";
import { type Price, type PriceTable, priceFor } from "./prices.ts";
import { renderHtmlReport } from "./report-html.ts";
import { renderMarkdownReport } from "./report-markdown.ts";
import { type EvalResult, parseResults, parseRunMeta, type RunMeta, runFolderNames } from "./results.ts";
import { resolveTaskRepository } from "./run-repositories.ts";
import { summarizeResults } from "./summary.ts";
import type { EvalTask } from "./task-set.ts";

/** The model of a run: as requests carry it, but a replay model's transcripts are still in a folder. */
export type RunModel = Exclude<EvalModelSpec, { kind: "replay" }> | { kind: "replay"; dir: string };

/** A case of a set as a run needs it: its id and where its repository is. */
export type RunCase = { instance_id: string; repo: string };
/** A result line as a run needs it. */
export type RunResult = { instance_id: string; transcript: string | null };

/**
 * What a run of one kind of set (`eval run`'s tasks, `eval review`'s pull requests) does besides
 * queueing and collecting: the request its tasks carry, its result lines and its reports.
 */
export type RunKind<C extends RunCase, R extends RunResult> = {
  /** What run.json says the folder holds (`review`); absent for `eval run`'s folders. */
  runKind?: string;
  /** The task file the request is stored in (the eval handler reads it to know what to run). */
  requestFile: string;
  request(
    item: C,
    common: { source: string; model: EvalModelSpec; modelName: string; price: Price | null },
  ): unknown;
  /** The result of a case that could not be queued or ended without a result. */
  errorResult(item: C, modelName: string, message: string, wallMs: number): R;
  parseResults(content: string, source: string): R[];
  /** The result in words, for the progress line. */
  describe(result: R): string;
  writeReports(outDir: string, meta: RunMeta, results: readonly R[]): Promise<void>;
};

export type RunSetOptions<C extends RunCase = EvalTask, R extends RunResult = EvalResult> = {
  kind: RunKind<C, R>;
  tasks: C[];
  /** The task set file (its folder anchors relative repository paths). */
  taskSet: string;
  outDir: string;
  /** The model as the run is named: a model name, `noop`, `oracle` or `replay`. */
  modelName: string;
  api: string | null;
  model: RunModel;
  prices: PriceTable;
  reposDir?: string;
  /** Who queues the tasks (the tasks' requester). */
  requester: string;
  /** Who runs them, in words for the progress lines ("this process, 2 at a time"). */
  runners: string;
  signal: AbortSignal;
  progress(line: string): void;
  /** How often unfinished tasks are looked at (default 500 ms). */
  pollMs?: number;
  /** How long without any task finishing before the progress says what the run waits for (default 60 s). */
  quietMs?: number;
};

/** What `runEvalSet` needs: the database the queue is in, and the queue. */
export type EvalRunDependencies = { db: Database; queue: Pick<TaskQueue, "submitWithin"> };

/** The run as a whole could not go on (an unusable model), or the run folder holds another run. */
export class EvalRunError extends Error {
  override name = "EvalRunError";
}

export type RunSetSummary<R extends RunResult = EvalResult> = {
  /** Results collected by this invocation (run here, by other workers, or finished before it started). */
  ran: number;
  /** Tasks already in results.jsonl. */
  skipped: number;
  interrupted: boolean;
  results: R[];
};

const RESULTS = "results.jsonl";
const META = "run.json";

/** Reads the run folder's results so far (none when it is new). */
async function readResults<R>(outDir: string, parse: (content: string, source: string) => R[]): Promise<R[]> {
  const file = path.join(outDir, RESULTS);
  if (!existsSync(file)) return [];
  return parse(await readFile(file, "utf8"), file);
}

/**
 * Writes run.json for a new run folder, or checks that an existing one holds a run of the same model;
 * either way the run has an id (a folder written before runs were queued gets one now).
 */
async function claimRunFolder(options: {
  outDir: string;
  modelName: string;
  api: string | null;
  taskSet: string;
  tasks: readonly unknown[];
  runKind: string | undefined;
}): Promise<RunMeta & { run_id: string }> {
  const file = path.join(options.outDir, META);
  let meta: RunMeta;
  if (existsSync(file)) {
    meta = parseRunMeta(await readFile(file, "utf8"), file);
    if (meta.kind !== options.runKind) {
      const kindOf = (kind: string | undefined) => (kind === undefined ? "eval run" : `eval ${kind}`);
      throw new EvalRunError(
        `${options.outDir} holds an ${kindOf(meta.kind)}, not an ${kindOf(options.runKind)}: choose another --out`,
      );
    }
    if (meta.model !== options.modelName) {
      throw new EvalRunError(
        `${options.outDir} holds a run of ${meta.model}, not ${options.modelName}: choose another --out`,
      );
    }
    if (meta.run_id !== undefined) return { ...meta, run_id: meta.run_id, tasks: options.tasks.length };
  } else {
    meta = {
      model: options.modelName,
      api: options.api,
      task_set: path.basename(options.taskSet),
      tasks: options.tasks.length,
      started_at: new Date().toISOString(),
      ...(options.runKind !== undefined && { kind: options.runKind }),
    };
  }
  const claimed = { ...meta, run_id: randomUUID() };
  await writeFile(file, `${JSON.stringify(claimed, null, 2)}\n`);
  return { ...claimed, tasks: options.tasks.length };
}

/**
 * Writes `report.md` and `report.html` for a run folder from its results, in task-set order.
 *
 * @example
 * await writeReports("runs/gpt-5", meta, results);
 */
async function writeReports(outDir: string, meta: RunMeta, results: readonly EvalResult[]): Promise<void> {
  const summary = summarizeResults(results);
  await writeFile(path.join(outDir, "report.md"), renderMarkdownReport(meta, results, summary));
  await writeFile(path.join(outDir, "report.html"), renderHtmlReport(meta, results, summary));
}

/** A task of an earlier try that this run must not wait for: it is queued again under the next key. */
function triedAgain(task: Task): boolean {
  return (
    task.status === "cancelled" || (task.status === "failed" && EVAL_FATAL_SIDE_EFFECT in task.sideEffects)
  );
}

/** The result line of a progress report. */
function describeFixResult(result: EvalResult): string {
  const tests = result.tests
    ? ` (FAIL_TO_PASS ${result.tests.fail_to_pass.passed}/${result.tests.fail_to_pass.total}, PASS_TO_PASS ${result.tests.pass_to_pass.passed}/${result.tests.pass_to_pass.total})`
    : "";
  const verdict = result.resolved
    ? "resolved"
    : `not resolved: ${result.failure}${result.detail ? ` — ${result.detail.split("\n")[0]}` : ""}`;
  return `${verdict}${tests}, ${(result.wall_ms / 1000).toFixed(1)} s`;
}

/**
 * The kind of run `eval run` makes: fix tasks scored by their tests, with `--test-command` and
 * `--test-timeout` carried in each request.
 *
 * @example
 * await runEvalSet(queue, { kind: fixRunKind({ testCommand: "npm test" }), tasks, … });
 */
export function fixRunKind(options: {
  testCommand?: string;
  testTimeoutMs?: number;
}): RunKind<EvalTask, EvalResult> {
  return {
    requestFile: EVAL_FILES.request,
    request: (task, common): EvalRequest => ({
      task,
      ...common,
      ...(options.testCommand !== undefined && { testCommand: options.testCommand }),
      ...(options.testTimeoutMs !== undefined && { testTimeoutMs: options.testTimeoutMs }),
    }),
    errorResult: (task, modelName, message, wallMs) => errorResult(task, modelName, message, wallMs, null),
    parseResults,
    describe: describeFixResult,
    writeReports,
  };
}

/**
 * `loopwright eval run`: queues every task of the set not yet in the run folder's results.jsonl as a
 * task of kind `eval` — idempotently: each run folder has an id, and a task's event key
 * (`evalTaskKey`) finds the task an earlier or concurrent invocation queued, so a resumed run waits
 * for it or collects its result instead of queueing it again — then waits while workers (this
 * process's, `loopwright worker` processes on any machine) run them. Each result is appended as it is
 * collected, with the task's transcript, steps, agent diff and test output (from the database) in
 * transcripts/, steps/, patches/ and tests/; report.md and report.html are written at the end, also
 * after an interruption (the tasks stay queued: run again to collect them).
 *
 * @example
 * const summary = await runEvalSet({ db, queue }, { tasks, taskSet: "tasks.jsonl", outDir: "runs/oracle",
 *   modelName: "oracle", api: null, model: { kind: "oracle" }, prices: DEFAULT_PRICES, requester: "ana",
 *   runners: "this process, 1 at a time", signal, progress });
 * @throws EvalRunError when the folder holds another model's run or the model cannot be used at all
 */
export async function runEvalSet<C extends RunCase, R extends RunResult>(
  deps: EvalRunDependencies,
  options: RunSetOptions<C, R>,
): Promise<RunSetSummary<R>> {
  for (const folder of ["transcripts", "steps", "patches", "tests"]) {
    await mkdir(path.join(options.outDir, folder), { recursive: true });
  }
  // One process at a time collects into a run folder (two would write each result line twice).
  let lock: { release(): void };
  try {
    lock = acquireDirectoryLock(
      path.join(options.outDir, "run.lock"),
      (pid) =>
        `${options.outDir} is in use by ${pid === undefined ? "another eval run" : `the eval run of process ${pid}`}: wait for it, or choose another --out`,
    );
  } catch (error) {
    if (error instanceof DirectoryLockedError) throw new EvalRunError(error.message);
    throw error;
  }
  try {
    return await runInFolder(deps, options);
  } finally {
    lock.release();
  }
}

async function runInFolder<C extends RunCase, R extends RunResult>(
  deps: EvalRunDependencies,
  options: RunSetOptions<C, R>,
): Promise<RunSetSummary<R>> {
  const { db } = deps;
  const { kind } = options;
  const meta = await claimRunFolder({ ...options, runKind: kind.runKind });
  const earlier = await readResults(options.outDir, kind.parseResults);
  const done = new Set(earlier.map((result) => result.instance_id));
  const pending = options.tasks.filter((task) => !done.has(task.instance_id));
  const price = priceFor(options.modelName, options.prices) ?? null;
  const fresh: R[] = [];

  async function record(result: R): Promise<void> {
    await appendFile(path.join(options.outDir, RESULTS), `${JSON.stringify(result)}\n`);
    fresh.push(result);
    options.progress(
      `[${earlier.length + fresh.length}/${options.tasks.length}] ${result.instance_id}: ${kind.describe(result)}`,
    );
  }

  async function requestFor(task: C): Promise<{ source: string; request: unknown }> {
    const source = resolveTaskRepository(task.repo, {
      taskSetDir: path.dirname(path.resolve(options.taskSet)),
      reposDir: options.reposDir,
    });
    const model: EvalModelSpec =
      options.model.kind === "replay"
        ? { kind: "replay", transcript: await readReplayTranscript(task, options.model.dir) }
        : options.model;
    return { source, request: kind.request(task, { source, model, modelName: options.modelName, price }) };
  }

  /** The run's task for an eval task: the one already queued, else a new one with its request. */
  async function enqueue(task: C): Promise<{ task: Task; created: boolean }> {
    for (let generation = 1; ; generation += 1) {
      const eventKey = evalTaskKey(meta.run_id, task.instance_id, generation);
      const existing = await findRequestedTask(db, { eventKey });
      if (existing && triedAgain(existing)) continue;
      if (existing) return { task: existing, created: false };
      const { source, request } = await requestFor(task);
      return db.transaction(async (tx) => {
        const submitted = await deps.queue.submitWithin(tx, {
          kind: "eval",
          repository: source,
          trigger: "cli",
          requester: options.requester,
          eventKey,
          input: { run: meta.run_id, instance_id: task.instance_id, model: options.modelName },
        });
        // Only a new task gets the request: a concurrent invocation's task already has its own.
        if (submitted.created) {
          await writeTaskFile(tx, submitted.task.id, kind.requestFile, JSON.stringify(request));
        }
        return submitted;
      });
    }
  }

  const waiting = new Map<number, C>();
  let queued = 0;
  for (const task of pending) {
    if (options.signal.aborted) break;
    const started = performance.now();
    try {
      const { task: queuedTask, created } = await enqueue(task);
      waiting.set(queuedTask.id, task);
      if (created) queued += 1;
    } catch (error) {
      // The task cannot be queued (no transcript for it, its repository gone): it is scored as an error.
      await record(
        kind.errorResult(task, options.modelName, (error as Error).message, performance.now() - started),
      );
    }
  }
  options.progress(
    `${options.tasks.length} tasks; ${earlier.length} already in ${path.join(options.outDir, RESULTS)}; ` +
      `${waiting.size} to collect (${queued} queued now, ${waiting.size - queued} queued before); run by ${options.runners}`,
  );

  /** Writes a finished task's files into the run folder and its result line; a fatal model error instead stops the run. */
  async function collect(row: Task, task: C): Promise<string | undefined> {
    const names = runFolderNames(task.instance_id);
    const resultText = await readTaskFile(db, row.id, EVAL_FILES.result);
    if (resultText === undefined && row.status === "cancelled") {
      options.progress(`${task.instance_id}: task ${row.id} was cancelled; run again to queue it again`);
      return undefined;
    }
    const fatal = row.sideEffects[EVAL_FATAL_SIDE_EFFECT];
    if (resultText === undefined && typeof fatal === "string") return fatal;
    const transcript = await readTranscript(db, row.id);
    await writeFile(path.join(options.outDir, names.transcript), transcript);
    const steps = await listSteps(db, row.id);
    await writeFile(
      path.join(options.outDir, names.steps),
      steps
        .map(({ attempt, seq, kind, startedAt, durationMs, payload }) =>
          JSON.stringify({ attempt, seq, at: startedAt, kind, duration_ms: durationMs, payload }),
        )
        .map((line) => `${line}\n`)
        .join(""),
    );
    // What was wrong with the repository's .github/loopwright.yml (the defaults applied instead).
    for (const step of steps.filter((candidate) => candidate.kind === REPO_CONFIG_STEP)) {
      const { problems } = step.payload as { problems?: unknown };
      if (Array.isArray(problems)) {
        for (const problem of problems)
          options.progress(`${task.instance_id}: .github/loopwright.yml: ${problem}`);
      }
    }
    for (const [name, file] of [
      [EVAL_FILES.patch, names.patch],
      [EVAL_FILES.tests, names.tests],
    ] as const) {
      const content = await readTaskFile(db, row.id, name);
      if (content !== undefined) await writeFile(path.join(options.outDir, file), content);
    }
    const wallMs = row.finishedAt && row.startedAt ? row.finishedAt.getTime() - row.startedAt.getTime() : 0;
    const result =
      resultText === undefined
        ? // A task that ended without a result: its workers kept dying, or none could run eval tasks.
          kind.errorResult(
            task,
            options.modelName,
            `task ${row.id} ${row.status}: ${row.error ?? "no reason given"}`,
            wallMs,
          )
        : (kind.parseResults(`${resultText}\n`, `the result of task ${row.id}`)[0] as R);
    await record({ ...result, transcript: transcript === "" ? null : names.transcript });
    return undefined;
  }

  let fatal: string | undefined;
  let quietSince = performance.now();
  while (waiting.size > 0 && !options.signal.aborted && fatal === undefined) {
    const rows = await getTasks(db, [...waiting.keys()]);
    const finished = rows.filter((row) => FINISHED_STATUSES.includes(row.status));
    for (const row of finished) {
      const task = waiting.get(row.id) as C;
      waiting.delete(row.id);
      fatal ??= await collect(row, task);
    }
    // A task deleted from the database meanwhile will never finish.
    for (const id of waiting.keys()) {
      if (!rows.some((row) => row.id === id)) {
        waiting.delete(id);
        options.progress(`task ${id} no longer exists; run again to queue its eval task again`);
      }
    }
    if (finished.length > 0) quietSince = performance.now();
    else if (performance.now() - quietSince > (options.quietMs ?? 60_000)) {
      const running = rows.filter((row) => row.status === "running").length;
      options.progress(
        `waiting for ${waiting.size} tasks (${running} running, ${waiting.size - running} queued), run by ${options.runners}`,
      );
      quietSince = performance.now();
    }
    if (finished.length === 0) {
      await sleep(options.pollMs ?? 500, undefined, { signal: options.signal }).catch(() => {});
    }
  }
  if (fatal !== undefined) {
    // Nothing else of the run would fare better: its other tasks stop, to be queued again on a resume.
    for (const id of waiting.keys()) await requestCancel(db, id);
  } else if (options.signal.aborted && waiting.size > 0) {
    options.progress(`${waiting.size} tasks stay queued; run again with the same --out to collect them`);
  }

  const byId = new Map([...earlier, ...fresh].map((result) => [result.instance_id, result]));
  const results = options.tasks.flatMap((task) => byId.get(task.instance_id) ?? []);
  await kind.writeReports(options.outDir, meta, results);
  if (fatal !== undefined) throw new EvalRunError(`the model ${options.modelName} cannot be used: ${fatal}`);
  return {
    ran: fresh.length,
    skipped: earlier.length,
    interrupted: options.signal.aborted,
    results,
  };
}
