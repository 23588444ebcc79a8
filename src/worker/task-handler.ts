import type { Logger } from "../logger.ts";
import type { StepRecorder } from "../store/steps.ts";
import type { Task, TaskOutcome } from "../store/tasks.ts";
import type { TranscriptRecorder } from "../store/transcripts.ts";

/**
 * Why a task's signal was aborted. `cancelled` (`/agent stop`, the issue closed) and `daily_budget`
 * (the repository used its daily tokens) end the task; `shutdown` and `claim_lost` hand it back to the
 * queue for a retry.
 */
export type AbortReason = "cancelled" | "daily_budget" | "shutdown" | "claim_lost";

/** Why a handler's signal was aborted; read it from `signal.reason`. */
export class TaskAbortedError extends Error {
  override name = "TaskAbortedError";
  readonly reason: AbortReason;
  /** `message` replaces the default words, e.g. to name the budget that was used up. */
  constructor(reason: AbortReason, message?: string) {
    const messages: Record<AbortReason, string> = {
      cancelled: "the task was cancelled",
      daily_budget: "stopped: the repository's daily token budget was used up",
      shutdown: "the worker is shutting down",
      claim_lost:
        "the worker lost its claim on the job (expired, or the database stopped seeing its heartbeat)",
    };
    super(message ?? messages[reason]);
    this.reason = reason;
  }

  /** Whether the task ends here (a stop) rather than going back to the queue. */
  get endsTask(): boolean {
    return this.reason === "cancelled" || this.reason === "daily_budget";
  }
}

/**
 * The stop that ended a task's signal (`cancelled` or `daily_budget`), or undefined when the signal
 * is not aborted or was aborted to hand the task back (`shutdown`, `claim_lost`).
 *
 * @example
 * const stop = taskStop(context.signal);
 * if (stop?.reason === "daily_budget") return { status: "budget_exhausted", error: stop.message };
 */
export function taskStop(signal: AbortSignal): TaskAbortedError | undefined {
  const reason: unknown = signal.aborted ? signal.reason : undefined;
  return reason instanceof TaskAbortedError && reason.endsTask ? reason : undefined;
}

/**
 * How a task ends when a stop aborted it: `cancelled` with `cancelledError`, or, for the daily budget,
 * `budget_exhausted` naming the budget.
 *
 * @example
 * const stop = taskStop(context.signal);
 * if (stop) return stoppedOutcome(stop, "stopped on request");
 */
export function stoppedOutcome(stop: TaskAbortedError, cancelledError: string): TaskOutcome {
  return stop.reason === "daily_budget"
    ? { status: "budget_exhausted", error: stop.message }
    : { status: "cancelled", error: cancelledError };
}

/** Everything a task kind's handler gets for one attempt. */
export type TaskContext = {
  /** The task, with `attempt` set to this attempt. */
  task: Task;
  /**
   * Aborted with a `TaskAbortedError` on cancellation (`/agent stop`, issue closed), the repository's
   * daily token budget used up, worker shutdown, or a lost claim.
   */
  signal: AbortSignal;
  /** Writes this attempt's step log as it happens. */
  steps: StepRecorder;
  /** Stores this attempt's model turns in the replay format. */
  transcript: TranscriptRecorder;
  /** Remembers a side effect (comment id, branch, PR number) so a later attempt reuses it. */
  recordSideEffect(key: string, value: unknown): Promise<void>;
  /** Adds model tokens spent to the task's total (and checks the daily budget, once one is set). */
  addTokens(tokens: number): Promise<void>;
  /**
   * From now on, aborts the signal (`daily_budget`) as soon as the tokens of the repository's tasks
   * created since midnight UTC reach `dailyTokens`: checked now and after every `addTokens`.
   */
  enforceDailyTokenBudget(dailyTokens: number): Promise<void>;
  log: Logger;
};

/** Runs one attempt of a task; a thrown error fails the task with its message. */
export type TaskHandler = (context: TaskContext) => Promise<TaskOutcome>;

/** Handlers by task kind. */
export type TaskHandlers = ReadonlyMap<string, TaskHandler>;
