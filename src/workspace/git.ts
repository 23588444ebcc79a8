import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { redactSecrets } from "../redact.ts";
import { spawnLean } from "./spawn-helper.ts";

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
  /** Where git runs; by default an empty private folder, so no repository is found by accident. */
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
/** The TLS settings an operator may need for a GitHub Enterprise Server: the only `GIT_*` passed on. */
const KEPT_GIT_VARIABLES = /^GIT_SSL_/;

/**
 * `-c` settings every git command runs with. Command-line settings outrank every config file and
 * reach git's child git processes through `GIT_CONFIG_PARAMETERS`, so each switches a feature off
 * whatever a repository's config says. Not here: `diff.external=` (an empty value makes git try to
 * run "" — diffs pass `--no-ext-diff` instead) and filter/diff/merge drivers (they run only when
 * configured, and no config git reads here configures any).
 */
const HOST_GIT_SETTINGS: readonly string[] = [
  // Programs git would start on its own: hooks, the fsmonitor, credential helpers, password prompts.
  "core.hooksPath=/dev/null",
  "core.fsmonitor=false",
  "core.untrackedCache=false",
  "credential.helper=",
  "core.askPass=",
  "commit.gpgSign=false",
  // Submodules are never entered: entering one runs git on that repository's own config.
  "submodule.recurse=false",
  "fetch.recurseSubmodules=false",
  "push.recurseSubmodules=no",
  "diff.ignoreSubmodules=all",
  "status.submoduleSummary=false",
  // Only the transports Loopwright's URLs use; never ssh (its own config), git:// or ext:: (commands).
  "protocol.allow=never",
  "protocol.https.allow=always",
  "protocol.http.allow=always",
  "protocol.file.allow=user",
];

let privateHome: string | undefined;

/**
 * An empty folder only this user may enter and nobody may write (mode 0500), used as `HOME`,
 * `XDG_CONFIG_HOME` and default working folder of every git command: no user's `~/.gitconfig`,
 * `~/.config/git/*`, `~/.git-credentials` or `~/.netrc` is read, and no repository around the
 * server's own working folder is discovered. One per user, shared by its processes (nothing is
 * ever written into it); a private one when another user made that name first. Checked at each use,
 * so a tmp cleaner removing it or a file appearing in it only makes a new one.
 */
function emptyHome(): string {
  if (privateHome !== undefined && isEmptyPrivateFolder(privateHome)) return privateHome;
  const shared = path.join(os.tmpdir(), `loopwright-git-home-${process.getuid?.() ?? "user"}`);
  try {
    mkdirSync(shared, { mode: 0o500 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  if (isEmptyPrivateFolder(shared)) privateHome = shared;
  else {
    privateHome = mkdtempSync(path.join(os.tmpdir(), "loopwright-git-home-"));
    chmodSync(privateHome, 0o500);
  }
  return privateHome;
}

function isEmptyPrivateFolder(folder: string): boolean {
  const stats = lstatSync(folder, { throwIfNoEntry: false });
  return (
    stats?.isDirectory() === true &&
    stats.uid === process.getuid?.() &&
    (stats.mode & 0o277) === 0 &&
    readdirSync(folder).length === 0
  );
}

/**
 * The environment every git command runs with: the caller's minus every `GIT_*` variable (but the
 * TLS ones) and askpass helper, with no system or global config and a private empty home, so git
 * reads only the repository it is pointed at and settings given per command.
 */
function baseEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // GIT_DIR, GIT_WORK_TREE, GIT_CONFIG_*, GIT_EXEC_PATH, GIT_TRACE*, askpass: set per command or never.
    if (key.startsWith("GIT_") && !KEPT_GIT_VARIABLES.test(key)) continue;
    if (key === "SSH_ASKPASS") continue;
    env[key] = value;
  }
  const home = emptyHome();
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: home,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_ATTR_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    LC_ALL: "C",
  };
}

/**
 * Configuration that hands the token to git as an `Authorization` header through
 * `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`, which git reads like `-c` options. Unlike `-c` on the
 * command line it does not show in `ps` to other users, and it is never written to any `.git/config`.
 * (Credential helpers are off for every command: see `HOST_GIT_SETTINGS`.)
 */
function authEnvironment(token: string): NodeJS.ProcessEnv {
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  return {
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "http.extraHeader",
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
  };
}

/**
 * Runs `git args…` with stdin closed, a timeout that kills git and its helpers, and errors that
 * name the operation and repository and quote git's stderr with every credential removed.
 * git reads no system, global or home configuration, inherits no `GIT_*` variable but the TLS
 * ones, and runs with `HOST_GIT_SETTINGS`; without `cwd` it runs in an empty folder.
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
    // In a process group of its own: git's helpers (git-remote-https, index-pack) share it, so a
    // timeout or abort can stop them all at once. Started through the spawn helper when one runs.
    const child = spawnLean("git", [...HOST_GIT_SETTINGS.flatMap((setting) => ["-c", setting]), ...args], {
      cwd: options.cwd ?? emptyHome(),
      env: env as Record<string, string>,
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
