/** How the agent's tools run commands and touch files; the sandbox (src/workspace/) provides the real one. */
import type { WorkspaceFiles } from "./workspace-files.ts";

export type CommandRequest = {
  /** Program and arguments; a shell command line arrives as ["bash", "-lc", line]. */
  argv: string[];
  /** Absolute working directory, inside the workspace. */
  cwd: string;
  timeoutMs: number;
  signal?: AbortSignal;
};

export type CommandResult = {
  /** The exit code; 124 on timeout, 128+N when killed by signal N. */
  exitCode: number;
  /** stdout and stderr interleaved as they arrived, capped (see `truncated`). */
  output: string;
  /** Bytes the command printed in all, including what the cap dropped. */
  outputBytes: number;
  truncated: boolean;
  timedOut: boolean;
  durationMs: number;
};

/** What the model is told about where its commands run. */
export type SandboxPolicy = {
  mode: string;
  network: boolean;
  writableRoots: string[];
};

export interface CommandRunner {
  readonly policy: SandboxPolicy;
  run(request: CommandRequest): Promise<CommandResult>;
  /** The workspace's files, reached from inside the same boundary as the commands. */
  readonly files: WorkspaceFiles;
}

/**
 * Thrown by a runner when the task as a whole crossed one of its limits (e.g. the workspace's disk
 * budget): the command was stopped and the task must end, saying why.
 */
export class TaskLimitError extends Error {
  override name = "TaskLimitError";
}
