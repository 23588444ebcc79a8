import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
// Only types at the top: the rest is loaded when the command runs, so --help and argument errors
// answer without the model client, the schema library or the database drivers.
import type { PriceTable } from "../eval/prices.ts";
import type { RunCase, RunKind, RunModel, RunResult } from "../eval/run-set.ts";
import type { EvalTask } from "../eval/task-set.ts";
import { defineCommand, integerOption, UsageError } from "./command.ts";
import type { EvalRuntime } from "./eval-runtime.ts";

async function readTaskSet(file: string): Promise<EvalTask[]> {
  const { parseTaskSet } = await import("../eval/task-set.ts");
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read the task set ${file}: ${error.code ?? error.message}`);
  });
  const tasks = parseTaskSet(text, file);
  if (tasks.length === 0) throw new UsageError(`the task set ${file} holds no task`);
  return tasks;
}

async function readPrices(file: string | undefined): Promise<PriceTable> {
  const { DEFAULT_PRICES, parsePrices } = await import("../eval/prices.ts");
  if (file === undefined) return DEFAULT_PRICES;
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`--prices: cannot read ${file}: ${error.code ?? error.message}`);
  });
  return parsePrices(text, file);
}

/** Each distinct repository of the set, checked before any task runs, so a bad path fails at once. */
async function checkRepositories(
  tasks: readonly { repo: string }[],
  where: { taskSetDir: string; reposDir?: string },
): Promise<void> {
  const { resolveTaskRepository } = await import("../eval/run-repositories.ts");
  for (const repo of new Set(tasks.map((task) => task.repo))) {
    try {
      resolveTaskRepository(repo, where);
    } catch (error) {
      throw new UsageError(`repository of the task set: ${(error as Error).message}`);
    }
  }
}

const timestamp = () =>
  new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");

/**
 * The queue of the settings' database, and — with `concurrency` above 0 — a worker in this process
 * that runs eval tasks only (other kinds stay for the processes that run them), handing a task it is
 * running back to the queue as soon as it stops. `close()` stops them in order.
 *
 * @example
 * const queue = await openEvalQueue(runtime, 2);
 * try { await runEvalSet(queue, options); } finally { await queue.close(); }
 */
export async function openEvalQueue(runtime: EvalRuntime, concurrency: number) {
  const [
    { databaseOptions, openDatabase },
    { DirectoryLockedError },
    { migrate },
    { startQueue },
    { startWorker },
    { createEvalHandler },
  ] = await Promise.all([
    import("../store/database.ts"),
    import("../store/directory-lock.ts"),
    import("../store/migrate.ts"),
    import("../store/queue.ts"),
    import("../worker/worker.ts"),
    import("../tasks/eval.ts"),
  ]);
  const { settings, workspaces, log } = runtime;
  const db = await openDatabase(databaseOptions(settings)).catch((error: unknown) => {
    if (!(error instanceof DirectoryLockedError)) throw error;
    throw new Error(
      `the tasks go to the embedded database in ${settings.dataDir}, which process ${error.pid ?? "(unknown)"} ` +
        "holds (a `loopwright serve`?): stop it while the eval runs, or give both a PostgreSQL server in DATABASE_URL",
    );
  });
  try {
    await migrate(db);
    const queue = await startQueue(db);
    try {
      const worker =
        concurrency > 0
          ? await startWorker({
              db,
              queue,
              handlers: new Map([["eval", createEvalHandler({ settings, workspaces, log, db })]]),
              log,
              concurrency: { interactive: 0, background: 0, eval: concurrency },
              graceMs: 0,
            })
          : undefined;
      return {
        db,
        queue,
        async close() {
          await worker?.stop();
          await queue.stop();
          await db.close();
        },
      };
    } catch (error) {
      await queue.stop();
      throw error;
    }
  } catch (error) {
    await db.close();
    throw error;
  }
}

/** The options `eval run` and `eval review` share: the model, the queue and the run folder. */
export const SET_RUN_OPTIONS = {
  model: { type: "string" },
  api: { type: "string" },
  oracle: { type: "boolean" },
  "replay-dir": { type: "string" },
  concurrency: { type: "string" },
  out: { type: "string" },
  prices: { type: "string" },
  repos: { type: "string" },
} as const;

type SetRunValues = {
  model?: string;
  api?: string;
  oracle?: boolean;
  "replay-dir"?: string;
  concurrency?: string;
  out?: string;
  prices?: string;
  repos?: string;
};

/**
 * The part of `eval run` and `eval review` after their set is read: the model from --model, --oracle
 * or --replay-dir, the queue (with this process's worker), the run folder, Ctrl-C, and the closing
 * lines; `outcome` words the results for the last line ("resolved 3 of 5 (60.0%)").
 *
 * @example
 * return runSetCommand(values, file, { command: "eval review", items, kind: reviewRunKind(), outcome });
 */
export async function runSetCommand<C extends RunCase, R extends RunResult>(
  values: SetRunValues,
  setFile: string,
  setup: { command: string; items: C[]; kind: RunKind<C, R>; outcome(results: R[]): string },
): Promise<number> {
  const oracle = values.oracle === true;
  const replayDir = values["replay-dir"] === undefined ? undefined : path.resolve(values["replay-dir"]);
  if (oracle && (values.model !== undefined || replayDir !== undefined)) {
    throw new UsageError("--oracle replaces the model: give it without --model or --replay-dir");
  }
  if (!oracle && replayDir === undefined && values.model === undefined) {
    throw new UsageError(
      "say which model: --model NAME (noop for the no-op model), --oracle or --replay-dir DIR",
    );
  }
  if (replayDir !== undefined && !existsSync(replayDir))
    throw new UsageError(`--replay-dir: no folder ${replayDir}`);
  if (values.api !== undefined && values.api !== "responses" && values.api !== "chat") {
    throw new UsageError(`--api expects responses or chat (got ${JSON.stringify(values.api)})`);
  }
  if (values.model?.trim() === "") throw new UsageError("--model is empty");
  const concurrency = integerOption("concurrency", values.concurrency, 0) ?? 1;
  const prices = await readPrices(values.prices);
  const tasks = setup.items;
  const reposDir = values.repos === undefined ? undefined : path.resolve(values.repos);
  await checkRepositories(tasks, { taskSetDir: path.dirname(setFile), reposDir });

  const [{ createModelFromSettings }, { runEvalSet }, { onInterrupt, openEvalRuntime }] = await Promise.all([
    import("../agent/models/create-model.ts"),
    import("../eval/run-set.ts"),
    import("./eval-runtime.ts"),
  ]);
  const runtime = await openEvalRuntime();
  const api = values.api as "responses" | "chat" | undefined;
  let model: RunModel;
  let modelName: string;
  if (oracle) [model, modelName] = [{ kind: "oracle" }, "oracle"];
  else if (replayDir !== undefined)
    [model, modelName] = [{ kind: "replay", dir: replayDir }, values.model ?? "replay"];
  else if (values.model === "noop") [model, modelName] = [{ kind: "noop" }, "noop"];
  else
    [model, modelName] = [
      { kind: "api", name: values.model as string, ...(api && { api }) },
      values.model as string,
    ];
  try {
    if (concurrency === 0 && !runtime.settings.database.url) {
      throw new UsageError(
        "--concurrency 0 leaves the tasks to other workers, and only DATABASE_URL's database has them " +
          "(the embedded one is open to this process alone): set DATABASE_URL, or run tasks here with --concurrency N",
      );
    }
    // This process calls the model: one it cannot call would fail every task at its first step.
    if (model.kind === "api" && concurrency > 0) {
      try {
        createModelFromSettings(runtime.settings.model, { api, name: model.name });
      } catch (error) {
        throw new UsageError(`--model ${model.name}: ${(error as Error).message}`);
      }
    }
  } catch (error) {
    await runtime.close();
    throw error;
  }
  const outDir = path.resolve(
    values.out ?? path.join("eval-runs", `${modelName.replace(/[^A-Za-z0-9._-]/g, "_")}-${timestamp()}`),
  );
  process.stderr.write(
    `loopwright ${setup.command}: ${modelName} on ${path.basename(setFile)}; run folder ${outDir}\n`,
  );
  const interrupt = onInterrupt(
    `loopwright ${setup.command}: interrupted; stopping (finished tasks are kept, queued ones stay queued; run again to resume)`,
  );
  let queue: Awaited<ReturnType<typeof openEvalQueue>> | undefined;
  try {
    queue = await openEvalQueue(runtime, concurrency);
    const summary = await runEvalSet(queue, {
      kind: setup.kind,
      tasks,
      taskSet: setFile,
      outDir,
      modelName,
      api: model.kind === "api" ? (api ?? runtime.settings.model.api) : null,
      model,
      prices,
      reposDir,
      requester: os.userInfo().username,
      runners:
        concurrency === 0
          ? "loopwright worker processes"
          : `this process (${concurrency} at a time)${runtime.settings.database.url ? " and loopwright worker processes" : ""}`,
      signal: interrupt.signal,
      progress: (line) => process.stderr.write(`${line}\n`),
    });
    const total = summary.results.length;
    console.log(
      `${modelName}: ${setup.outcome(summary.results)}${summary.interrupted ? `, interrupted with ${tasks.length - total} to go` : ""}`,
    );
    console.log(`report: ${path.join(outDir, "report.md")} and report.html`);
    return summary.interrupted ? 130 : 0;
  } finally {
    interrupt.dispose();
    await queue?.close();
    await runtime.close();
  }
}

export const runCommand = defineCommand({
  name: "eval run",
  usage: `
Usage: loopwright eval run TASKS.jsonl (--model NAME | --oracle | --replay-dir DIR [--model NAME])
                           [--api responses|chat] [--concurrency N] [--out DIR] [--prices FILE]
                           [--repos DIR] [--test-command CMD] [--test-timeout SECONDS]

Runs each task like a fix task — a workspace at the base commit without the test changes, the same
instructions, tools, sandbox and budgets (.github/loopwright.yml at the base commit), the problem
statement as the task — then applies the held-back test changes and runs the FAIL_TO_PASS and
PASS_TO_PASS tests in the sandbox. A task is resolved when all of them pass.

Each task is queued as a task of kind eval on Loopwright's queue: the embedded database in
LOOPWRIGHT_DATA_DIR, or DATABASE_URL's, where every \`loopwright worker\` (on any machine) runs
eval tasks too. This process runs --concurrency of them at a time meanwhile.

--model NAME      the model (LOOPWRIGHT_API / OPENAI_API_KEY / OPENAI_BASE_URL as for 'loopwright run';
                  on other workers, theirs); noop answers at once without changing anything
--oracle          apply each task's recorded fix through the agent's apply_patch tool instead of a model
--replay-dir DIR  replay DIR/<instance_id>.jsonl for each task (--model then names and prices the run)
--concurrency N   tasks this process runs at once (default 1); 0: only workers run them (DATABASE_URL)
--out DIR         the run folder (default eval-runs/<model>-<time>); running again with the same
                  folder collects the tasks queued before and queues only the rest
--prices FILE     JSON { "model": { "input": $, "cached_input": $, "output": $ } } per million tokens
--repos DIR       where SWE-bench-style owner/name repositories are cloned (owner__name, owner/name or name)
--test-command C  the test command of tasks that do not carry one
--test-timeout S  the longest one test run may take (default 300 s)

A repository given as a path must be at the same path on every worker's machine; give a URL for
workers elsewhere. Writes DIR/results.jsonl (one line per task), DIR/transcripts/*.jsonl (replayable
with 'loopwright replay'), DIR/steps/, DIR/patches/, DIR/tests/, DIR/report.md and DIR/report.html.
Progress goes to stderr. Exit status: 0 done, 1 error, 2 bad arguments, 130 interrupted (Ctrl-C:
queued tasks stay queued; run again to resume).`,
  options: {
    ...SET_RUN_OPTIONS,
    "test-command": { type: "string" },
    "test-timeout": { type: "string" },
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const taskSet = path.resolve(positionals[0] as string);
    const testTimeout = integerOption("test-timeout", values["test-timeout"], 1);
    const [{ fixRunKind }, { formatPercent }] = await Promise.all([
      import("../eval/run-set.ts"),
      import("../eval/summary.ts"),
    ]);
    return runSetCommand(values, taskSet, {
      command: "eval run",
      items: await readTaskSet(taskSet),
      kind: fixRunKind({
        testCommand: values["test-command"],
        ...(testTimeout !== undefined && { testTimeoutMs: testTimeout * 1000 }),
      }),
      outcome(results) {
        const resolved = results.filter((result) => result.resolved).length;
        const total = results.length;
        return `resolved ${resolved} of ${total} (${formatPercent(total === 0 ? null : resolved / total)})`;
      },
    });
  },
});
