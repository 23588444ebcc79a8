import { rm } from "node:fs/promises";
import path from "node:path";
import { ModelError } from "../agent/model.ts";
import type { Settings } from "../config/settings.ts";
import type { AgentSessionDependencies } from "../tasks/agent-session.ts";
import type { TaskContext } from "../worker/task-handler.ts";
import { modelForRequest, oracleModel } from "./eval-models.ts";
import { type EvalRequest, REPO_CONFIG_STEP } from "./eval-request.ts";
import { type EvalTaskOutcome, errorResult, FATAL_MODEL_ERRORS, runEvalTask } from "./eval-task.ts";
import { fileAt, hasCommit, type RepositoryReader, repoConfigAt, treePaths } from "./history.ts";
import { runRepository, taskRepository, updateRunRepository } from "./run-repositories.ts";
import { fileSafeId } from "./task-set.ts";
import { detectTestCommand } from "./test-command.ts";

export type EvalJobDependencies = AgentSessionDependencies & {
  /** `dataDir` holds the worker's copies of eval repositories; `model` calls a model named by a request. */
  settings: Pick<Settings, "sandbox" | "model" | "dataDir">;
};

/**
 * The worker's copies of eval repositories (`<cacheDir>/repos/`), one per source, made once however
 * many of its tasks start together; the returned function gives a reader of the copy once it holds
 * every commit asked for (fetching the source again when it does not).
 *
 * @example
 * const copyHolding = createRepositoryCopies(path.join(dataDir, "eval"));
 * const reader = await copyHolding(source, "app", [task.base_commit], signal);
 * @throws Error naming the commit the source does not have
 */
export function createRepositoryCopies(
  cacheDir: string,
): (
  source: string,
  display: string,
  commits: readonly string[],
  signal: AbortSignal,
) => Promise<RepositoryReader> {
  const copies = new Map<string, Promise<string>>();
  return async (source, display, commits, signal) => {
    let copy = copies.get(source);
    if (!copy) {
      copy = runRepository(source, cacheDir, signal);
      copies.set(source, copy);
      // A failed copy (an aborted clone, a source down for a while) is tried again by the next task.
      copy.catch(() => copies.delete(source));
    }
    const reader: RepositoryReader = { dir: await copy, display, signal };
    const missing = async () => {
      for (const commit of commits) if (!(await hasCommit(reader, commit))) return commit;
      return undefined;
    };
    if ((await missing()) !== undefined) await updateRunRepository(reader.dir, source, signal);
    const absent = await missing();
    if (absent !== undefined) throw new Error(`the commit ${absent} is not in ${display}`);
    return reader;
  };
}

/** Runs one eval request in a task's context; see `createEvalJobRunner`. */
export type EvalJobRunner = (context: TaskContext, request: EvalRequest) => Promise<EvalTaskOutcome>;

/**
 * What a worker does with one eval task, wherever it runs: its own copy of the task's repository
 * (`<dataDir>/eval/repos/`, made once per source and fetched again when a base commit is newer than
 * it), a repository of the task's past made from it, the repository's config at the base commit, the
 * test command (the task's, else the request's, else `eval.test_command`, else detected), the model,
 * and `runEvalTask`. A task that cannot run (an unknown base commit, no test command, a bad
 * transcript) becomes a result of class `error`; a model that cannot be used at all is `fatal`.
 *
 * @example
 * const runJob = createEvalJobRunner({ settings, workspaces, log });
 * const outcome = await runJob(context, request);
 */
export function createEvalJobRunner(deps: EvalJobDependencies): EvalJobRunner {
  const cacheDir = path.join(deps.settings.dataDir, "eval");
  const copyHolding = createRepositoryCopies(cacheDir);

  return async (context, request) => {
    const { task } = request;
    const { signal } = context;
    const started = performance.now();
    let remote: string | undefined;
    try {
      const reader = await copyHolding(request.source, task.repo, [task.base_commit], signal);
      const copy = reader.dir;
      remote = await taskRepository(
        copy,
        task.base_commit,
        path.join(cacheDir, "tasks", `${context.task.id}-${fileSafeId(task.instance_id)}.git`),
        signal,
      );
      const { config, problems } = await repoConfigAt(reader, task.base_commit);
      if (problems.length > 0) await context.steps.record({ kind: REPO_CONFIG_STEP, payload: { problems } });
      const testCommand =
        task.test_command ??
        detectTestCommand({
          override: request.testCommand,
          configured: config.eval.test_command,
          packageJson: await fileAt(reader, task.base_commit, "package.json"),
          paths: await treePaths(reader, task.base_commit),
        })?.command;
      if (!testCommand) throw new Error("no test command: give --test-command or set eval.test_command");
      const model = await modelForRequest(
        request,
        () => oracleModel(task, (file) => fileAt(reader, task.base_commit, file)),
        deps.settings.model,
      );
      return await runEvalTask(deps, context, {
        task,
        remote,
        model,
        modelName: request.modelName,
        testCommand,
        testTimeoutMs: request.testTimeoutMs,
        config,
        price: request.price ?? undefined,
      });
    } catch (error) {
      if (signal.aborted) return { kind: "interrupted" };
      // A worker without the named model's key or endpoint cannot run any task of the run.
      if (error instanceof ModelError && FATAL_MODEL_ERRORS.includes(error.kind)) {
        return { kind: "fatal", message: error.message };
      }
      const message = error instanceof Error ? error.message : String(error);
      return {
        kind: "scored",
        result: errorResult(task, request.modelName, message, performance.now() - started, null),
        patch: null,
        testOutput: null,
      };
    } finally {
      // The agent's commit is kept as the task's diff; the task's repository is not needed any more.
      if (remote) await rm(remote, { recursive: true, force: true });
    }
  };
}
