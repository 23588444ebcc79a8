import type { AgentResult } from "../agent/loop.ts";
import type { ModelClient, ModelErrorKind } from "../agent/model.ts";
import type { RepoConfig } from "../config/repo-config.ts";
import { type AgentSessionDependencies, runAgentSession, sessionLimits } from "../tasks/agent-session.ts";
import { DELIVERY_RULES, firstLine, slugify } from "../tasks/task-text.ts";
import type { TaskContext } from "../worker/task-handler.ts";
import type { Identity } from "../workspace/commit-push.ts";
import { DEFAULT_BRANCH_PREFIX } from "../workspace/workspace.ts";
import { applyFileDiff } from "./apply-diff.ts";
import { diffPaths, fileAt, type RepositoryReader } from "./history.ts";
import { costUsd, type Price } from "./prices.ts";
import { type EvalResult, type FailureClass, runFolderNames } from "./results.ts";
import type { EvalTask } from "./task-set.ts";
import { FILE_PLACEHOLDER } from "./test-command.ts";
import { runTests } from "./test-run.ts";
import { checkExpected } from "./test-transitions.ts";
import { type FileChange, withTestWorkspace, writeFiles } from "./test-workspace.ts";
import { changedLineCount, parseUnifiedDiff } from "./unified-diff.ts";

export type EvalTaskRequest = {
  task: EvalTask;
  /** The task's own bare repository (the base commit's history only): the agent's commit is pushed there. */
  remote: string;
  model: ModelClient;
  /** The model as results name it (`gpt-5`, `noop`, `oracle`, `replay`). */
  modelName: string;
  /** How the tests run (`{file}`: once per test file), and the longest a run may take. */
  testCommand: string;
  testTimeoutMs?: number;
  /** The repository's `.github/loopwright.yml` at the base commit: the budgets and sandbox of a fix task. */
  config: RepoConfig;
  price: Price | undefined;
};

/**
 * What became of a task: its result line (with the agent's diff and the scoring test output when
 * there are), or a model failure that makes every other task pointless too.
 */
export type EvalTaskOutcome =
  | { kind: "scored"; result: EvalResult; patch: string | null; testOutput: string | null }
  | { kind: "fatal"; message: string }
  | { kind: "interrupted" };

/** Model failures that no other task would escape: a wrong key, an unknown model, no quota. */
export const FATAL_MODEL_ERRORS: readonly ModelErrorKind[] = ["auth", "model_not_found", "quota"];

const AUTHOR: Identity = { name: "Loopwright eval", email: "loopwright@localhost" };

/**
 * The task text of an eval task: the problem statement framed like a fix task's issue, with the same
 * delivery rules.
 *
 * @example
 * evalPrompt(task); // "Fix the following problem in this repository.\n\nclamp() returns 11 …"
 */
function evalPrompt(task: EvalTask): string {
  return [
    "Fix the following problem in this repository.",
    "",
    task.problem_statement.trim(),
    "",
    DELIVERY_RULES,
  ].join("\n");
}

/**
 * The held-back test changes as file contents: the task's `test_patch` applied, exactly, to the base
 * commit's files (read host-side from the run's own copy of the repository).
 *
 * @example
 * const changes = await heldBackTests(reader, task); // [{ path: "test/clamp.test.js", content: "…" }]
 * @throws DiffError when the test patch does not apply to the base commit
 */
async function heldBackTests(reader: RepositoryReader, task: EvalTask): Promise<FileChange[]> {
  const changes: FileChange[] = [];
  for (const file of parseUnifiedDiff(task.test_patch)) {
    const old = file.oldPath === null ? undefined : await fileAt(reader, task.base_commit, file.oldPath);
    if (file.oldPath !== null && old === undefined) {
      throw new Error(`the test patch changes ${file.oldPath}, which the base commit does not have`);
    }
    const content = applyFileDiff(old, file);
    if (file.oldPath !== null && file.oldPath !== file.newPath)
      changes.push({ path: file.oldPath, content: null });
    if (file.newPath !== null) changes.push({ path: file.newPath, content });
  }
  return changes;
}

const listed = (ids: readonly string[]) =>
  ids.length <= 5 ? ids.join(", ") : `${ids.slice(0, 5).join(", ")} and ${ids.length - 5} more`;

/**
 * Runs one eval task: the agent session of a fix task (`runAgentSession`: workspace at the base
 * commit without the test changes, sandbox, setup, the loop with the problem statement, commit and
 * push to the run's copy), then — when it changed something — a fresh workspace at its commit, the
 * held-back test changes written in, and the FAIL_TO_PASS and PASS_TO_PASS tests run in the sandbox.
 * Resolved when all of them pass. An aborted run is `interrupted` (not a result: a resumed run does
 * it again); an auth, unknown-model or quota failure is `fatal`.
 *
 * @example
 * const outcome = await runEvalTask(deps, context, { task, remote, model, modelName: "gpt-5", testCommand: "npm test", config, price });
 * if (outcome.kind === "scored") await appendFile("results.jsonl", `${JSON.stringify(outcome.result)}\n`);
 */
export async function runEvalTask(
  deps: AgentSessionDependencies,
  context: TaskContext,
  request: EvalTaskRequest,
): Promise<EvalTaskOutcome> {
  const started = performance.now();
  const { task } = request;
  const { signal } = context;
  const reader: RepositoryReader = { dir: request.remote, display: task.repo, signal };
  const heldBack = await heldBackTests(reader, task);
  const session = await runAgentSession(deps, context, {
    workspace: {
      url: request.remote,
      target: { kind: "commit", sha: task.base_commit },
      branch: `eval-${slugify(task.instance_id, 40)}-${Date.now().toString(36)}`,
      branchPrefix: DEFAULT_BRANCH_PREFIX,
    },
    model: request.model,
    prompt: evalPrompt(task),
    ...sessionLimits(request.config),
    commit: {
      message: (agent: AgentResult) => `Eval task ${task.instance_id}\n\n${firstLine(agent.message, 400)}\n`,
      author: AUTHOR,
      coAuthors: [],
    },
    branchPolicy: "task",
  });
  const { agent, change } = session;
  const names = runFolderNames(task.instance_id);
  if (agent.outcome === "aborted" || signal.aborted) return { kind: "interrupted" };
  if (agent.modelError && FATAL_MODEL_ERRORS.includes(agent.modelError.kind)) {
    return { kind: "fatal", message: agent.modelError.message };
  }

  let failure: FailureClass | null = null;
  let detail: string | null = null;
  let tests: EvalResult["tests"] = null;
  let patch: string | null = null;
  let testOutput: string | null = null;
  if (agent.outcome === "budget_exhausted") [failure, detail] = ["budget", agent.message];
  else if (agent.outcome === "model_error") [failure, detail] = ["error", agent.message];
  else if (change.status !== "pushed") {
    [failure, detail] = ["no_change", `the agent changed no file: ${firstLine(agent.message, 300)}`];
  } else {
    patch = await diffPaths(reader, task.base_commit, change.sha);
    const ids = [...task.FAIL_TO_PASS, ...task.PASS_TO_PASS];
    const run = await withTestWorkspace(
      deps,
      {
        url: request.remote,
        sha: change.sha,
        branch: `eval-score-${slugify(task.instance_id, 40)}`,
        config: request.config,
        signal,
      },
      async (workspace) => {
        await writeFiles(workspace.sandbox.files, workspace.path, heldBack);
        const files = request.testCommand.includes(FILE_PLACEHOLDER) ? ids : [];
        return runTests(workspace.sandbox, workspace.path, request.testCommand, {
          files,
          signal,
          timeoutMs: request.testTimeoutMs,
        });
      },
    );
    testOutput = run.output;
    const failToPass = checkExpected(task.FAIL_TO_PASS, run.results);
    const passToPass = checkExpected(task.PASS_TO_PASS, run.results);
    tests = {
      fail_to_pass: {
        passed: failToPass.passed.length,
        total: task.FAIL_TO_PASS.length,
        failed: failToPass.failed,
      },
      pass_to_pass: {
        passed: passToPass.passed.length,
        total: task.PASS_TO_PASS.length,
        failed: passToPass.failed,
      },
    };
    if (failToPass.failed.length > 0 || passToPass.failed.length > 0) {
      failure = "tests_fail";
      detail = [
        failToPass.failed.length > 0 ? `FAIL_TO_PASS still failing: ${listed(failToPass.failed)}` : "",
        passToPass.failed.length > 0 ? `PASS_TO_PASS now failing: ${listed(passToPass.failed)}` : "",
      ]
        .filter(Boolean)
        .join("; ");
    }
  }
  if (signal.aborted) return { kind: "interrupted" };
  const { totals } = agent;
  const tokens = { input: totals.input, cached: totals.cached, output: totals.output, total: totals.total };
  return {
    kind: "scored",
    patch,
    testOutput,
    result: {
      instance_id: task.instance_id,
      resolved: failure === null,
      failure,
      detail,
      tests,
      steps: totals.steps,
      tool_calls: totals.toolCalls,
      tokens,
      cost_usd: request.price ? costUsd(tokens, request.price) : null,
      wall_ms: Math.round(performance.now() - started),
      size: changedLineCount(parseUnifiedDiff(task.patch)),
      model: request.modelName,
      agent_outcome: agent.outcome,
      transcript: names.transcript,
      patch: patch === null ? null : names.patch,
      finished_at: new Date().toISOString(),
    },
  };
}

/**
 * The result of a task that could not run (its repository, transcript or test patch is unusable, the
 * sandbox failed): failure class `error`, the message as detail.
 *
 * @example
 * await appendFile(resultsFile, `${JSON.stringify(errorResult(task, "gpt-5", error.message, 1200, null))}\n`);
 */
export function errorResult(
  task: EvalTask,
  modelName: string,
  message: string,
  wallMs: number,
  transcript: string | null,
): EvalResult {
  let size = 0;
  try {
    size = changedLineCount(parseUnifiedDiff(task.patch));
  } catch {
    // An unreadable patch is the error being reported; its size is unknown.
  }
  return {
    instance_id: task.instance_id,
    resolved: false,
    failure: "error",
    detail: message,
    tests: null,
    steps: 0,
    tool_calls: 0,
    tokens: { input: 0, cached: 0, output: 0, total: 0 },
    cost_usd: null,
    wall_ms: Math.round(wallMs),
    size,
    model: modelName,
    agent_outcome: null,
    transcript,
    patch: null,
    finished_at: new Date().toISOString(),
  };
}
