import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { ModelClient } from "../agent/model.ts";
import { createModelFromSettings } from "../agent/models/create-model.ts";
import { defineCommand, integerOption, UsageError } from "../cli/command.ts";
import { noopModel, oracleModel, replayModelFor } from "./eval-models.ts";
import { onInterrupt, openEvalRuntime } from "./eval-runtime.ts";
import { DEFAULT_PRICES, type PriceTable, parsePrices } from "./prices.ts";
import { resolveTaskRepository } from "./run-repositories.ts";
import { type RunSetOptions, runEvalSet } from "./run-set.ts";
import { formatPercent } from "./summary.ts";
import { type EvalTask, parseTaskSet } from "./task-set.ts";

async function readTaskSet(file: string): Promise<EvalTask[]> {
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read the task set ${file}: ${error.code ?? error.message}`);
  });
  const tasks = parseTaskSet(text, file);
  if (tasks.length === 0) throw new UsageError(`the task set ${file} holds no task`);
  return tasks;
}

async function readPrices(file: string | undefined): Promise<PriceTable> {
  if (file === undefined) return DEFAULT_PRICES;
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`--prices: cannot read ${file}: ${error.code ?? error.message}`);
  });
  return parsePrices(text, file);
}

/** Each distinct repository of the set, checked before any task runs, so a bad path fails at once. */
function checkRepositories(
  tasks: readonly EvalTask[],
  where: { taskSetDir: string; reposDir?: string },
): void {
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

--model NAME      the model (LOOPWRIGHT_API / OPENAI_API_KEY / OPENAI_BASE_URL as for 'loopwright run');
                  noop answers at once without changing anything
--oracle          apply each task's recorded fix through the agent's apply_patch tool instead of a model
--replay-dir DIR  replay DIR/<instance_id>.jsonl for each task (--model then names and prices the run)
--concurrency N   tasks at once, in this process (default 1)
--out DIR         the run folder (default eval-runs/<model>-<time>); running again with the same
                  folder skips the tasks already in its results.jsonl
--prices FILE     JSON { "model": { "input": $, "cached_input": $, "output": $ } } per million tokens
--repos DIR       where SWE-bench-style owner/name repositories are cloned (owner__name, owner/name or name)
--test-command C  the test command of tasks that do not carry one
--test-timeout S  the longest one test run may take (default 300 s)

Writes DIR/results.jsonl (one line per task), DIR/transcripts/*.jsonl (replayable with 'loopwright
replay'), DIR/patches/, DIR/tests/, DIR/report.md and DIR/report.html. Progress goes to stderr.
Exit status: 0 done, 1 error, 2 bad arguments, 130 interrupted (Ctrl-C; run again to resume).`,
  options: {
    model: { type: "string" },
    api: { type: "string" },
    oracle: { type: "boolean" },
    "replay-dir": { type: "string" },
    concurrency: { type: "string" },
    out: { type: "string" },
    prices: { type: "string" },
    repos: { type: "string" },
    "test-command": { type: "string" },
    "test-timeout": { type: "string" },
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const taskSet = path.resolve(positionals[0] as string);
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
    const concurrency = integerOption("concurrency", values.concurrency, 1) ?? 1;
    const testTimeout = integerOption("test-timeout", values["test-timeout"], 1);
    const prices = await readPrices(values.prices);
    const tasks = await readTaskSet(taskSet);
    const reposDir = values.repos === undefined ? undefined : path.resolve(values.repos);
    checkRepositories(tasks, { taskSetDir: path.dirname(taskSet), reposDir });

    const runtime = await openEvalRuntime();
    let modelName: string;
    let modelFor: RunSetOptions["modelFor"];
    if (oracle) [modelName, modelFor] = ["oracle", oracleModel];
    else if (replayDir !== undefined) {
      [modelName, modelFor] = [values.model ?? "replay", (task) => replayModelFor(task, replayDir)];
    } else if (values.model === "noop") [modelName, modelFor] = ["noop", async () => noopModel()];
    else {
      let model: ModelClient;
      try {
        model = createModelFromSettings(runtime.settings.model, {
          api: values.api as "responses" | "chat" | undefined,
          name: values.model,
        });
      } catch (error) {
        await runtime.close();
        throw new UsageError(`--model ${values.model}: ${(error as Error).message}`);
      }
      [modelName, modelFor] = [values.model as string, async () => model];
    }
    const outDir = path.resolve(
      values.out ?? path.join("eval-runs", `${modelName.replace(/[^A-Za-z0-9._-]/g, "_")}-${timestamp()}`),
    );
    process.stderr.write(
      `loopwright eval run: ${modelName} on ${path.basename(taskSet)}; run folder ${outDir}\n`,
    );
    const interrupt = onInterrupt(
      "loopwright eval run: interrupted; stopping the running tasks (finished ones are kept; run again to resume)",
    );
    try {
      const summary = await runEvalSet(runtime, {
        tasks,
        taskSet,
        outDir,
        modelName,
        api:
          oracle || replayDir !== undefined || modelName === "noop"
            ? null
            : (values.api ?? runtime.settings.model.api),
        modelFor,
        concurrency,
        prices,
        reposDir,
        testCommand: values["test-command"],
        ...(testTimeout !== undefined && { testTimeoutMs: testTimeout * 1000 }),
        signal: interrupt.signal,
        progress: (line) => process.stderr.write(`${line}\n`),
      });
      const resolved = summary.results.filter((result) => result.resolved).length;
      const total = summary.results.length;
      console.log(
        `${modelName}: resolved ${resolved} of ${total} (${formatPercent(total === 0 ? null : resolved / total)})${summary.interrupted ? `, interrupted with ${tasks.length - total} to go` : ""}`,
      );
      console.log(`report: ${path.join(outDir, "report.md")} and report.html`);
      return summary.interrupted ? 130 : 0;
    } finally {
      interrupt.dispose();
      await runtime.close();
    }
  },
});
