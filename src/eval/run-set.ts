import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ModelClient } from "../agent/model.ts";
import type { AgentSessionDependencies } from "../tasks/agent-session.ts";
import { errorResult, runEvalTask } from "./eval-task.ts";
import { fileAt, hasCommit, type RepositoryReader, repoConfigAt, treePaths } from "./history.ts";
import { createLocalTaskContext } from "./local-task-context.ts";
import { type PriceTable, priceFor } from "./prices.ts";
import { renderHtmlReport } from "./report-html.ts";
import { renderMarkdownReport } from "./report-markdown.ts";
import { type EvalResult, parseResults, parseRunMeta, type RunMeta } from "./results.ts";
import { resolveTaskRepository, runRepository, taskRepository } from "./run-repositories.ts";
import { summarizeResults } from "./summary.ts";
import { type EvalTask, fileSafeId } from "./task-set.ts";
import { detectTestCommand } from "./test-command.ts";

export type RunSetOptions = {
  tasks: EvalTask[];
  /** The task set file (its folder anchors relative repository paths). */
  taskSet: string;
  outDir: string;
  /** The model as the run is named: a model name, `noop`, `oracle` or `replay`. */
  modelName: string;
  api: string | null;
  /**
   * The model for one task (a fresh one each time: replay and oracle models are per task);
   * `readBase` reads a file of the task's base commit.
   */
  modelFor(task: EvalTask, readBase: (path: string) => Promise<string | undefined>): Promise<ModelClient>;
  concurrency: number;
  prices: PriceTable;
  reposDir?: string;
  testCommand?: string;
  testTimeoutMs?: number;
  signal: AbortSignal;
  progress(line: string): void;
};

/** The run as a whole could not go on (an unusable model), or the run folder holds another run. */
export class EvalRunError extends Error {
  override name = "EvalRunError";
}

export type RunSetSummary = { ran: number; skipped: number; interrupted: boolean; results: EvalResult[] };

const RESULTS = "results.jsonl";
const META = "run.json";

/** Reads the run folder's results so far (none when it is new). */
async function readResults(outDir: string): Promise<EvalResult[]> {
  const file = path.join(outDir, RESULTS);
  if (!existsSync(file)) return [];
  return parseResults(await readFile(file, "utf8"), file);
}

/** Writes run.json for a new run folder, or checks that an existing one holds a run of the same model. */
async function claimRunFolder(options: RunSetOptions): Promise<RunMeta> {
  const file = path.join(options.outDir, META);
  if (existsSync(file)) {
    const meta = parseRunMeta(await readFile(file, "utf8"), file);
    if (meta.model !== options.modelName) {
      throw new EvalRunError(
        `${options.outDir} holds a run of ${meta.model}, not ${options.modelName}: choose another --out`,
      );
    }
    return { ...meta, tasks: options.tasks.length };
  }
  const meta: RunMeta = {
    model: options.modelName,
    api: options.api,
    task_set: path.basename(options.taskSet),
    tasks: options.tasks.length,
    started_at: new Date().toISOString(),
  };
  await writeFile(file, `${JSON.stringify(meta, null, 2)}\n`);
  return meta;
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

/** What every task of one repository shares: the run's copy of it, and read access to that. */
type PreparedRepository = { dir: string; reader: RepositoryReader };

/**
 * `loopwright eval run`: runs every task of the set not yet in the run folder's results.jsonl, at
 * most `concurrency` at a time in this process, each as `runEvalTask` does; appends each result as
 * it is known, and writes report.md and report.html at the end (also after an interruption, over
 * the results so far). Transcripts, steps, agent diffs and test output go to transcripts/, steps/,
 * patches/ and tests/ of the run folder.
 *
 * @example
 * const summary = await runEvalSet(deps, { tasks, taskSet: "tasks.jsonl", outDir: "runs/oracle", modelName: "oracle",
 *   api: null, modelFor: oracleModel, concurrency: 2, prices: DEFAULT_PRICES, signal, progress });
 * @throws EvalRunError when the folder holds another model's run or the model cannot be used at all
 */
export async function runEvalSet(
  deps: AgentSessionDependencies,
  options: RunSetOptions,
): Promise<RunSetSummary> {
  for (const folder of ["transcripts", "steps", "patches", "tests"]) {
    await mkdir(path.join(options.outDir, folder), { recursive: true });
  }
  const meta = await claimRunFolder(options);
  const earlier = await readResults(options.outDir);
  const done = new Set(earlier.map((result) => result.instance_id));
  const pending = options.tasks.filter((task) => !done.has(task.instance_id));
  options.progress(
    `${options.tasks.length} tasks; ${options.tasks.length - pending.length} already in ${path.join(options.outDir, RESULTS)}; running ${pending.length}, ${options.concurrency} at a time`,
  );
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  let fatal: string | undefined;
  const repositories = new Map<string, Promise<PreparedRepository>>();
  const prepare = (task: EvalTask) => {
    const source = resolveTaskRepository(task.repo, {
      taskSetDir: path.dirname(path.resolve(options.taskSet)),
      reposDir: options.reposDir,
    });
    let prepared = repositories.get(source);
    if (!prepared) {
      prepared = runRepository(source, options.outDir, signal).then((dir) => ({
        dir,
        reader: { dir, display: task.repo, signal },
      }));
      repositories.set(source, prepared);
    }
    return prepared;
  };
  const price = priceFor(options.modelName, options.prices);
  const fresh: EvalResult[] = [];
  let ran = 0;

  async function runOne(task: EvalTask, number: number): Promise<void> {
    const id = fileSafeId(task.instance_id);
    const names = { transcript: `transcripts/${id}.jsonl`, patch: `patches/${id}.diff` };
    const label = `[${number}/${pending.length}] ${task.instance_id}`;
    const started = performance.now();
    let result: EvalResult;
    let remote: string | undefined;
    try {
      const { dir: runRepo, reader } = await prepare(task);
      if (!(await hasCommit(reader, task.base_commit))) {
        throw new Error(`the base commit ${task.base_commit} is not in ${task.repo}`);
      }
      remote = await taskRepository(
        runRepo,
        task.base_commit,
        path.join(options.outDir, "repos", "tasks", `${id}.git`),
        signal,
      );
      const { config, problems } = await repoConfigAt(reader, task.base_commit);
      for (const problem of problems) options.progress(`${label}: .github/loopwright.yml: ${problem}`);
      const testCommand =
        task.test_command ??
        detectTestCommand({
          override: options.testCommand,
          configured: config.eval.test_command,
          packageJson: await fileAt(reader, task.base_commit, "package.json"),
          paths: await treePaths(reader, task.base_commit),
        })?.command;
      if (!testCommand) throw new Error("no test command: give --test-command or set eval.test_command");
      const context = await createLocalTaskContext({
        id: options.tasks.indexOf(task) + 1,
        repository: task.repo,
        input: { instance_id: task.instance_id },
        signal,
        transcriptFile: path.join(options.outDir, names.transcript),
        stepsFile: path.join(options.outDir, "steps", `${id}.jsonl`),
        log: deps.log,
      });
      const outcome = await runEvalTask(deps, context, {
        task,
        remote,
        model: await options.modelFor(task, (file) => fileAt(reader, task.base_commit, file)),
        modelName: options.modelName,
        testCommand,
        testTimeoutMs: options.testTimeoutMs,
        config,
        price,
        files: {
          patch: path.join(options.outDir, names.patch),
          tests: path.join(options.outDir, "tests", `${id}.txt`),
        },
        names,
      });
      if (outcome.kind === "interrupted") return;
      if (outcome.kind === "fatal") {
        fatal ??= outcome.message;
        stop.abort();
        return;
      }
      result = outcome.result;
    } catch (error) {
      if (signal.aborted) return;
      const transcript = existsSync(path.join(options.outDir, names.transcript)) ? names.transcript : null;
      result = errorResult(
        task,
        options.modelName,
        (error as Error).message,
        performance.now() - started,
        transcript,
      );
    } finally {
      // The agent's commit is kept as patches/<id>.diff; the task's repository is not needed any more.
      if (remote) await rm(remote, { recursive: true, force: true });
    }
    await appendFile(path.join(options.outDir, RESULTS), `${JSON.stringify(result)}\n`);
    fresh.push(result);
    ran += 1;
    const tests = result.tests
      ? ` (FAIL_TO_PASS ${result.tests.fail_to_pass.passed}/${result.tests.fail_to_pass.total}, PASS_TO_PASS ${result.tests.pass_to_pass.passed}/${result.tests.pass_to_pass.total})`
      : "";
    const verdict = result.resolved
      ? "resolved"
      : `not resolved: ${result.failure}${result.detail ? ` — ${result.detail.split("\n")[0]}` : ""}`;
    options.progress(`${label}: ${verdict}${tests}, ${(result.wall_ms / 1000).toFixed(1)} s`);
  }

  let next = 0;
  const worker = async () => {
    while (!signal.aborted && next < pending.length) {
      const index = next++;
      await runOne(pending[index] as EvalTask, index + 1);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(options.concurrency, pending.length)) }, worker),
  );

  const byId = new Map([...earlier, ...fresh].map((result) => [result.instance_id, result]));
  const results = options.tasks.flatMap((task) => byId.get(task.instance_id) ?? []);
  await writeReports(options.outDir, meta, results);
  if (fatal !== undefined) throw new EvalRunError(`the model ${options.modelName} cannot be used: ${fatal}`);
  return {
    ran,
    skipped: options.tasks.length - pending.length,
    interrupted: options.signal.aborted,
    results,
  };
}
