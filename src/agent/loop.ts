import { randomUUID } from "node:crypto";
import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import type { CommandRunner } from "./command-runner.ts";
import { compactHistory, DEFAULT_COMPACTION_THRESHOLD } from "./compaction.ts";
import { toolCallGist } from "./event-summary.ts";
import type {
  AgentEvent,
  AgentEventListener,
  AgentOutcome,
  AgentTotals,
  FinalEvent,
  TokenCounts,
} from "./events.ts";
import { CODING_INSTRUCTIONS } from "./instructions.ts";
import {
  type FunctionCall,
  type InputItem,
  type ModelClient,
  ModelError,
  type ModelTurn,
  type Usage,
} from "./model.ts";
import { buildPrefix, taskMessage } from "./prefix.ts";
import { estimateItemTokens, estimateRequestTokens } from "./tokens.ts";
import { applyPatchTool } from "./tools/apply-patch.ts";
import { listFilesTool } from "./tools/list-files.ts";
import { readFileTool } from "./tools/read-file.ts";
import { createToolRouter } from "./tools/router.ts";
import { searchTool } from "./tools/search.ts";
import { shellTool } from "./tools/shell.ts";
import type { PlanItem, Tool, ToolContext } from "./tools/tool.ts";
import { updatePlanTool } from "./tools/update-plan.ts";
import { MODEL_OUTPUT_LIMITS, type TruncateLimits, truncateHeadTail } from "./truncate.ts";

/** The tools every coding task has, in the order the model sees them. */
export const CODING_TOOLS: Tool[] = [
  shellTool,
  readFileTool,
  listFilesTool,
  searchTool,
  applyPatchTool,
  updatePlanTool,
];

export type AgentBudget = {
  /** Model turns (compaction calls not counted). */
  maxSteps: number;
  /** Tokens over all model calls, as reported (or estimated when not reported). */
  maxTotalTokens: number;
  maxWallTimeMs: number;
};

/** The defaults of `.github/loopwright.yml`'s `budget` and `sandbox.timeout_minutes`. */
export const DEFAULT_BUDGET: AgentBudget = {
  maxSteps: 60,
  maxTotalTokens: 2_000_000,
  maxWallTimeMs: 30 * 60_000,
};

/** Tool output kept for the step log, beyond what the model is shown. */
export const DEFAULT_FULL_OUTPUT_BYTES = 64 * 1024;

export type RunAgentOptions = {
  model: ModelClient;
  runner: CommandRunner;
  task: string;
  /** The working folder: commands run and relative paths resolve here. */
  cwd: string;
  /** The workspace root, which paths may not leave; AGENTS.md files are read from it down to cwd. Default: cwd. */
  root?: string;
  /** The system prompt. Default: CODING_INSTRUCTIONS. */
  instructions?: string;
  /** Task-specific tools after the coding tools, e.g. a finishing `submit_review`. */
  extraTools?: Tool[];
  budget?: Partial<AgentBudget>;
  signal?: AbortSignal;
  onEvent?: AgentEventListener;
  /** Stable for the task so the provider's prompt cache applies. Default: a random id. */
  promptCacheKey?: string;
  /** Share of the context window at which history is compacted. Default 0.9. */
  compactionThreshold?: number;
  /** Limits of the tool output shown to the model. Default 10 KiB / 256 lines. */
  outputLimits?: TruncateLimits;
  fullOutputMaxBytes?: number;
  /** The clock for event times and the date the model is told. */
  now?: () => Date;
};

/** How a task ended; the same facts as the final event, plus the live error and the plan. */
export type AgentResult = Omit<FinalEvent, "type" | "step" | "at" | "error"> & {
  modelError: ModelError | null;
  plan: PlanItem[];
};

const zeroTokens = (): TokenCounts => ({ input: 0, cached: 0, output: 0, reasoning: 0, total: 0 });

const toCounts = (usage: Usage): TokenCounts => ({
  input: usage.inputTokens,
  cached: usage.cachedInputTokens,
  output: usage.outputTokens,
  reasoning: usage.reasoningTokens,
  total: usage.totalTokens,
});

function addTokens(totals: TokenCounts, counts: TokenCounts): void {
  totals.input += counts.input;
  totals.cached += counts.cached;
  totals.output += counts.output;
  totals.reasoning += counts.reasoning;
  totals.total += counts.total;
}

function checkBudget(budget: AgentBudget): void {
  for (const [name, value] of Object.entries(budget)) {
    if (!(typeof value === "number" && value > 0))
      throw new RangeError(`budget ${name} must be a positive number, got ${value}`);
  }
}

/** Rejects with an aborted ModelError as soon as `signal` fires, even if `work` ignores the signal. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new ModelError("aborted", "the task was stopped"));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function asModelError(error: unknown): ModelError {
  if (error instanceof ModelError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new ModelError("bad_response", `the model call failed: ${reason}`, { cause: error });
}

const assistantText = (turn: ModelTurn): string =>
  turn.output
    .flatMap((item) => (item.type === "message" ? item.content.map((part) => part.text) : []))
    .join("\n")
    .trim();

async function workspaceFolders(options: RunAgentOptions): Promise<{ root: string; cwd: string }> {
  const cwd = await realpath(options.cwd).catch(() => {
    throw new Error(`the working folder ${options.cwd} does not exist`);
  });
  if (!(await stat(cwd)).isDirectory()) throw new Error(`the working folder ${options.cwd} is not a folder`);
  const root =
    options.root === undefined
      ? cwd
      : await realpath(options.root).catch(() => {
          throw new Error(`the workspace root ${options.root} does not exist`);
        });
  const relative = path.relative(root, cwd);
  if (relative.startsWith("..") || path.isAbsolute(relative)) {
    throw new Error(`the working folder ${cwd} is not inside the workspace root ${root}`);
  }
  return { root, cwd };
}

/**
 * Runs the Codex-style agent loop until the model gives a final answer (or a finishing tool ends
 * the task), a budget runs out, the signal aborts it, or the model fails. The input is append-only:
 * instructions, sandbox, AGENTS.md, environment and task first, then each turn's output items and
 * tool results, so every request extends the previous one and the prompt cache applies; only
 * compaction replaces the history. Each step is emitted to `onEvent` and awaited.
 *
 * @example
 * const result = await runAgent({ model, runner, cwd: "/work/repo", task: "Make `npm test` pass", onEvent: console.log });
 * if (result.outcome === "completed") console.log(result.message);
 * @throws Error when the working folder or root is not usable, or a budget is not positive (before any step)
 */
export async function runAgent(options: RunAgentOptions): Promise<AgentResult> {
  const started = performance.now();
  const budget = { ...DEFAULT_BUDGET, ...options.budget };
  checkBudget(budget);
  const { root, cwd } = await workspaceFolders(options);
  const now = options.now ?? (() => new Date());
  const { model, runner } = options;
  const instructions = options.instructions ?? CODING_INSTRUCTIONS;
  const router = createToolRouter([...CODING_TOOLS, ...(options.extraTools ?? [])]);
  const tools = router.specs;
  const promptCacheKey = options.promptCacheKey ?? randomUUID();
  const threshold = options.compactionThreshold ?? DEFAULT_COMPACTION_THRESHOLD;
  const outputLimits = options.outputLimits ?? MODEL_OUTPUT_LIMITS;
  const fullLimits = {
    maxBytes: options.fullOutputMaxBytes ?? DEFAULT_FULL_OUTPUT_BYTES,
    maxLines: Number.POSITIVE_INFINITY,
  };

  // One internal signal stops model calls and commands alike, whether the caller aborts or time runs out.
  const stop = new AbortController();
  let stopReason: "aborted" | "wall_time" | undefined;
  const onCallerAbort = () => {
    stopReason ??= "aborted";
    stop.abort();
  };
  if (options.signal?.aborted) onCallerAbort();
  options.signal?.addEventListener("abort", onCallerAbort, { once: true });
  // Longer than setTimeout can count (about 24.8 days) means no wall-time limit.
  const deadline =
    budget.maxWallTimeMs <= 2 ** 31 - 1
      ? setTimeout(() => {
          stopReason ??= "wall_time";
          stop.abort();
        }, budget.maxWallTimeMs)
      : undefined;
  deadline?.unref();

  const prefix = await buildPrefix({ root, cwd, policy: runner.policy, files: runner.files, now: now() });
  let history: InputItem[] = [...prefix, taskMessage(options.task)];
  const tokens = zeroTokens();
  const counts = { steps: 0, toolCalls: 0, compactions: 0 };
  let plan: PlanItem[] = [];
  let lastAssistantText = "";
  // What the last request weighed by the API's count, and how long it was, to size the next one.
  let lastRequest: { inputTokens: number; length: number } | undefined;
  let compactedSinceTurn = false;
  const context: ToolContext = { root, cwd, runner, signal: stop.signal };

  const emit = async (event: AgentEvent) => {
    await options.onEvent?.(event);
  };
  const finish = async (
    outcome: AgentOutcome,
    message: string,
    extra: { result?: unknown; budget?: FinalEvent["budget"]; error?: ModelError } = {},
  ): Promise<AgentResult> => {
    const totals: AgentTotals = { ...tokens, ...counts, durationMs: Math.round(performance.now() - started) };
    const final = {
      outcome,
      message,
      result: extra.result ?? null,
      budget: extra.budget ?? null,
      lastAssistantText,
      totals,
    };
    const error = extra.error ? { kind: extra.error.kind, message: extra.error.message } : null;
    await emit({ type: "final", step: counts.steps, at: now().toISOString(), ...final, error });
    return { ...final, modelError: extra.error ?? null, plan };
  };
  const stopped = () => {
    if (stopReason === "wall_time") {
      return finish(
        "budget_exhausted",
        `Stopped: the wall-time budget of ${Math.round(budget.maxWallTimeMs / 1000)} s ran out after ${counts.steps} steps.`,
        { budget: "wall_time" },
      );
    }
    return finish("aborted", `Aborted after ${counts.steps} steps.`);
  };
  const failed = (error: unknown) => {
    if (stop.signal.aborted) return stopped();
    const modelError = asModelError(error);
    return finish("model_error", `The model call failed (${modelError.kind}): ${modelError.message}`, {
      error: modelError,
    });
  };
  const nextInputTokens = () =>
    lastRequest === undefined
      ? estimateRequestTokens(instructions, tools, history)
      : lastRequest.inputTokens +
        history.slice(lastRequest.length).reduce((sum, item) => sum + estimateItemTokens(item), 0);

  try {
    for (;;) {
      if (stop.signal.aborted) return await stopped();
      if (counts.steps >= budget.maxSteps) {
        return await finish(
          "budget_exhausted",
          `Stopped: the step budget (${budget.maxSteps} model turns) is used up; ${counts.toolCalls} tool calls ran.`,
          { budget: "steps" },
        );
      }
      if (tokens.total >= budget.maxTotalTokens) {
        return await finish(
          "budget_exhausted",
          `Stopped: the token budget (${budget.maxTotalTokens}) is used up: ${tokens.total} tokens after ${counts.steps} steps.`,
          { budget: "tokens" },
        );
      }

      const inputTokens = nextInputTokens();
      if (!compactedSinceTurn && inputTokens >= threshold * model.contextWindow) {
        let compacted: Awaited<ReturnType<typeof compactHistory>>;
        try {
          compacted = await untilAborted(
            compactHistory({
              model,
              instructions,
              tools,
              promptCacheKey,
              signal: stop.signal,
              prefix,
              history,
            }),
            stop.signal,
          );
        } catch (error) {
          return await failed(error);
        }
        history = compacted.items;
        lastRequest = undefined;
        compactedSinceTurn = true;
        counts.compactions += 1;
        const usage = compacted.usage ? toCounts(compacted.usage) : zeroTokens();
        addTokens(tokens, usage);
        await emit({
          type: "compaction",
          step: counts.steps,
          at: now().toISOString(),
          durationMs: compacted.durationMs,
          tokensBefore: inputTokens,
          tokensAfter: nextInputTokens(),
          summary: compacted.summary,
          usage,
        });
        continue;
      }

      counts.steps += 1;
      const input = [...history];
      const turnStarted = performance.now();
      let turn: ModelTurn;
      try {
        turn = await untilAborted(
          model.complete({ instructions, input, tools, promptCacheKey, signal: stop.signal }),
          stop.signal,
        );
      } catch (error) {
        return await failed(error);
      }
      const durationMs = Math.round(performance.now() - turnStarted);
      compactedSinceTurn = false;
      const estimatedInput = turn.usage ? 0 : nextInputTokens();
      history.push(...turn.output);
      lastRequest = { inputTokens: turn.usage?.inputTokens ?? estimatedInput, length: input.length };
      const usage = turn.usage
        ? toCounts(turn.usage)
        : (() => {
            const output = turn.output.reduce((sum, item) => sum + estimateItemTokens(item), 0);
            return { input: estimatedInput, cached: 0, output, reasoning: 0, total: estimatedInput + output };
          })();
      addTokens(tokens, usage);
      const text = assistantText(turn);
      if (text !== "") lastAssistantText = text;
      const calls = turn.output.filter((item): item is FunctionCall => item.type === "function_call");
      await emit({
        type: "model_turn",
        step: counts.steps,
        at: now().toISOString(),
        model: model.model,
        durationMs,
        usage,
        estimated: turn.usage === undefined,
        text,
        reasoning: turn.output
          .flatMap((item) => (item.type === "reasoning" ? item.summary.map((part) => part.text) : []))
          .join("\n"),
        toolCalls: calls.map((call) => call.name),
        toolCallGists: calls.map((call) => toolCallGist(call.name, call.arguments)),
      });

      if (calls.length === 0) {
        if (text === "") {
          return await failed(
            new ModelError("bad_response", "the model answered with neither a message nor a tool call"),
          );
        }
        return await finish("completed", text);
      }
      for (const call of calls) {
        const callStarted = performance.now();
        let routed: Awaited<ReturnType<typeof router.call>>;
        try {
          routed = await untilAborted(router.call(call.name, call.arguments, context), stop.signal);
        } catch {
          return await stopped();
        }
        counts.toolCalls += 1;
        const shown = truncateHeadTail(routed.output, outputLimits);
        const full = truncateHeadTail(routed.output, fullLimits);
        history.push({ type: "function_call_output", call_id: call.call_id, output: shown.text });
        await emit({
          type: "tool_call",
          step: counts.steps,
          at: now().toISOString(),
          callId: call.call_id,
          name: call.name,
          arguments: call.arguments,
          exitCode: routed.exitCode ?? null,
          isError: routed.isError ?? false,
          durationMs: Math.round(performance.now() - callStarted),
          output: shown.text,
          fullOutput: full.text,
          fullOutputTruncated: full.truncated,
        });
        if (routed.plan) {
          plan = routed.plan.items;
          await emit({
            type: "plan_update",
            step: counts.steps,
            at: now().toISOString(),
            explanation: routed.plan.explanation ?? null,
            plan,
          });
        }
        if (stop.signal.aborted) return await stopped();
        if (routed.limit)
          return await finish("budget_exhausted", `Stopped: ${routed.limit}`, { budget: "disk" });
        if (routed.finish)
          return await finish("completed", routed.finish.message, { result: routed.finish.result });
      }
    }
  } finally {
    clearTimeout(deadline);
    options.signal?.removeEventListener("abort", onCallerAbort);
  }
}
