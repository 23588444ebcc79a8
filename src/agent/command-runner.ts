/** How the agent's `shell` tool runs a command; the sandbox (src/workspace/) provides the real one. */

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
}
