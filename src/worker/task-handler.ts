import type { Logger } from "../logger.ts";
import type { StepRecorder } from "../store/steps.ts";
import type { Task, TaskOutcome } from "../store/tasks.ts";
import type { TranscriptRecorder } from "../store/transcripts.ts";

/** Why a handler's signal was aborted; read it from `signal.reason`. */
export class TaskAbortedError extends Error {
  override name = "TaskAbortedError";
  readonly reason: "cancelled" | "shutdown" | "claim_lost";
  constructor(reason: "cancelled" | "shutdown" | "claim_lost") {
    const messages = {
      cancelled: "the task was cancelled",
      shutdown: "the worker is shutting down",
      claim_lost:
        "the worker lost its claim on the job (expired, or the database stopped seeing its heartbeat)",
    };
    super(messages[reason]);
    this.reason = reason;
  }
}

/** Everything a task kind's handler gets for one attempt. */
export type TaskContext = {
  /** The task, with `attempt` set to this attempt. */
  task: Task;
  /** Aborted on cancellation (`/agent stop`, issue closed), worker shutdown, or a lost claim. */
  signal: AbortSignal;
  /** Writes this attempt's step log as it happens. */
  steps: StepRecorder;
  /** Stores this attempt's model turns in the replay format. */
  transcript: TranscriptRecorder;
  /** Remembers a side effect (comment id, branch, PR number) so a later attempt reuses it. */
  recordSideEffect(key: string, value: unknown): Promise<void>;
  /** Adds model tokens spent to the task's total. */
  addTokens(tokens: number): Promise<void>;
  log: Logger;
};

/** Runs one attempt of a task; a thrown error fails the task with its message. */
export type TaskHandler = (context: TaskContext) => Promise<TaskOutcome>;

/** Handlers by task kind. */
export type TaskHandlers = ReadonlyMap<string, TaskHandler>;
