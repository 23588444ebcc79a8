import { spawn } from "node:child_process";
import { redactSecrets } from "./redact.ts";

/** Thrown when a git command fails: which operation, on which repository, and git's own words. */
export class GitError extends Error {
  readonly operation: string;
  readonly repository: string;
  readonly exitCode: number | null;
  /** git's stderr with credentials removed. */
  readonly stderr: string;
  constructor(operation: string, repository: string, exitCode: number | null, stderr: string, why: string) {
    const detail = stderr.trim() === "" ? "" : `: ${stderr.trim()}`;
    super(`git ${operation} failed on ${repository} (${why})${detail}`);
    this.name = "GitError";
    this.operation = operation;
    this.repository = repository;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

export type GitOptions = {
  /** What the command does, for error messages ("fetch", "clone", "push"). */
  operation: string;
  /** How the repository is named in errors (never a URL with credentials). */
  repository: string;
  cwd?: string;
  /** The installation token, handed to this one git process as an HTTP header (see `authEnvironment`). */
  token?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Other secrets to remove from error output. */
  secrets?: string[];
};

export type GitResult = { stdout: string; stderr: string };

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const KEPT_GIT_VARIABLES = /^GIT_(SSL_|EXEC_PATH$)/;

/**
 * The environment every git command runs with: the caller's, minus anything that could make git
 * prompt, pick up a repository other than the one named, or leak a token into the output.
 */
function baseEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // GIT_DIR, GIT_WORK_TREE, GIT_CONFIG_*, GIT_TRACE*, askpass helpers: set per command or never.
    // Only the TLS settings an operator may need for a GitHub Enterprise Server pass through.
    if (key.startsWith("GIT_") && !KEPT_GIT_VARIABLES.test(key)) continue;
    if (key === "SSH_ASKPASS") continue;
    env[key] = value;
  }
  env.GIT_TERMINAL_PROMPT = "0";
  env.LC_ALL = "C";
  return env;
}

/**
 * Configuration that hands the token to git as an `Authorization` header through
 * `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`, which git reads like `-c` options. Unlike `-c` on the
 * command line it does not show in `ps` to other users, and it is never written to any `.git/config`.
 * Credential helpers are switched off so git neither asks one nor stores anything.
 */
function authEnvironment(token: string): NodeJS.ProcessEnv {
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  return {
    GIT_CONFIG_COUNT: "2",
    GIT_CONFIG_KEY_0: "http.extraHeader",
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    GIT_CONFIG_KEY_1: "credential.helper",
    GIT_CONFIG_VALUE_1: "",
  };
}

/**
 * Runs `git args…` with stdin closed, a timeout that kills git and its helpers, and errors that
 * name the operation and repository and quote git's stderr with every credential removed.
 *
 * @example
 * const { stdout } = await runGit(["rev-parse", "HEAD"], { operation: "rev-parse", repository: "acme/app", cwd });
 * @throws GitError when git exits non-zero, times out, is aborted or cannot be started
 */
export function runGit(args: string[], options: GitOptions): Promise<GitResult> {
  const secrets = [...(options.secrets ?? []), ...(options.token ? [options.token] : [])];
  const env = { ...baseEnvironment(), ...(options.token ? authEnvironment(options.token) : {}) };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const fail = (exitCode: number | null, stderr: string, why: string) =>
      reject(
        new GitError(
          options.operation,
          options.repository,
          exitCode,
          redactSecrets(stderr, secrets),
          redactSecrets(why, secrets),
        ),
      );
    if (options.signal?.aborted) {
      fail(null, "", "aborted before it started");
      return;
    }
    // detached: git's helpers (git-remote-https, index-pack) share its process group, so a
    // timeout or abort can stop them all at once.
    const child = spawn("git", args, {
      cwd: options.cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let stopped: string | undefined;
    const stop = (why: string) => {
      stopped ??= why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => stop(`timed out after ${timeoutMs} ms`), timeoutMs);
    const onAbort = () => stop("aborted");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      fail(null, "", `could not start git: ${error.message}`);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      const err = Buffer.concat(stderr).toString("utf8");
      if (stopped !== undefined) fail(code, err, stopped);
      else if (code !== 0) fail(code, err, signal ? `killed by ${signal}` : `exit code ${code}`);
      else resolve({ stdout: Buffer.concat(stdout).toString("utf8"), stderr: redactSecrets(err, secrets) });
    });
  });
}
