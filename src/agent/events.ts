import type { ModelErrorKind } from "./model.ts";
import type { PlanItem } from "./tools/tool.ts";

/** Token counts in step events; plain numbers so events store as JSON. */
export type TokenCounts = { input: number; cached: number; output: number; reasoning: number; total: number };

type EventBase = {
  /** The model turn this event belongs to, counting from 1 (0: before the first turn). */
  step: number;
  /** When the event happened, ISO 8601. */
  at: string;
};

export type ModelTurnEvent = EventBase & {
  type: "model_turn";
  model: string;
  durationMs: number;
  usage: TokenCounts;
  /** True when the provider reported no usage and the counts are tokenizer estimates. */
  estimated: boolean;
  /** The assistant's text in this turn, if any. */
  text: string;
  /** The reasoning summary the model shared, if any. */
  reasoning: string;
  /** Names of the tools called in this turn, in order. */
  toolCalls: string[];
  /**
   * What each of those calls is about to do (the command for `shell`, the paths for file tools),
   * clipped: a follower of the step log shows a command when it starts, before its `tool_call` step.
   * Absent from steps stored before it existed.
   */
  toolCallGists?: string[];
};

export type ToolCallEvent = EventBase & {
  type: "tool_call";
  callId: string;
  name: string;
  /** The arguments exactly as the model sent them (a JSON string, possibly invalid). */
  arguments: string;
  /** The command's exit code for tools that run one, else null. */
  exitCode: number | null;
  isError: boolean;
  durationMs: number;
  /** The output the model saw (truncated head + tail). */
  output: string;
  /** The fuller output, kept up to a cap for the step log. */
  fullOutput: string;
  fullOutputTruncated: boolean;
};

export type PlanUpdateEvent = EventBase & {
  type: "plan_update";
  explanation: string | null;
  plan: PlanItem[];
};

export type CompactionEvent = EventBase & {
  type: "compaction";
  durationMs: number;
  /** The input size that triggered it, and the size after (estimated), in tokens. */
  tokensBefore: number;
  tokensAfter: number;
  /** The handoff summary the model wrote. */
  summary: string;
  usage: TokenCounts;
};

export type AgentOutcome = "completed" | "budget_exhausted" | "aborted" | "model_error";

/** The whole task's consumption. */
export type AgentTotals = TokenCounts & {
  steps: number;
  toolCalls: number;
  compactions: number;
  durationMs: number;
};

export type FinalEvent = EventBase & {
  type: "final";
  outcome: AgentOutcome;
  /** The final answer, or for other outcomes a sentence saying why the task stopped. */
  message: string;
  /** A finishing tool's structured result (e.g. a review), when one ended the task. */
  result: unknown;
  /** Which budget ran out, for `budget_exhausted`. */
  budget: "steps" | "tokens" | "wall_time" | "disk" | null;
  /** The model failure, for `model_error`. */
  error: { kind: ModelErrorKind; message: string } | null;
  /** The last thing the assistant said, useful when the task did not complete. */
  lastAssistantText: string;
  totals: AgentTotals;
};

/** One step of a task, as emitted while it runs and as stored. */
export type AgentEvent = ModelTurnEvent | ToolCallEvent | PlanUpdateEvent | CompactionEvent | FinalEvent;

/** Receives each event as it happens; the loop waits for it, so a caller can persist before going on. */
export type AgentEventListener = (event: AgentEvent) => void | Promise<void>;
