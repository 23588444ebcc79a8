import { readFileSync, realpathSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { CommandRequest, CommandResult, CommandRunner, SandboxPolicy } from "../agent/command-runner.ts";
import type { Logger } from "../logger.ts";
import { bwrapArguments, type HostLayout, readHostLayout, SANDBOX_HOME } from "./sandbox-bwrap.ts";
import { detectSandboxMode, SandboxError, sandboxUid } from "./sandbox-detect.ts";
import { sandboxEnvironment, sandboxSearchPath } from "./sandbox-environment.ts";
import { limitArguments, resolveLimits, type SandboxLimits } from "./sandbox-limits.ts";
import { runProcessTree } from "./sandbox-process.ts";

export { detectSandboxMode, SandboxError } from "./sandbox-detect.ts";
export type { SandboxLimits } from "./sandbox-limits.ts";

export type SandboxOptions = {
  /** `auto`: bwrap where it works, else refuse; `none`: no isolation, for an already isolated container. */
  mode: "auto" | "bwrap" | "none";
  /** The task's working tree: the only writable place besides a private /tmp. */
  workspace: string;
  /** Whether the agent's commands may use the network (the setup command always may). */
  network?: boolean;
  /** Non-secret variables from the repository config, added to the minimal environment. */
  env?: Record<string, string>;
  /** Host paths commands may read (shown at the same place), e.g. a shared git object store. */
  readOnlyPaths?: string[];
  limits?: Partial<SandboxLimits>;
  log?: Logger;
};

/** The real `CommandRunner`, plus the repository's setup step. */
export type Sandbox = CommandRunner & {
  readonly limits: SandboxLimits;
  /**
   * Runs the repository's setup command line (e.g. `npm ci`) at the workspace root with the
   * network allowed, whatever the policy for the agent's own commands.
   */
  setup(command: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<CommandResult>;
};

const DEFAULT_SETUP_TIMEOUT_MS = 30 * 60_000;
const SYSTEM_PREFIXES = ["/usr/", "/bin/", "/sbin/", "/lib/", "/lib64/", "/etc/"];

/** The installation directory of the running Node.js, when commands could not otherwise see it. */
function runtimeDirectory(): string | undefined {
  const prefix = path.dirname(path.dirname(realpathSync(process.execPath)));
  if (prefix === "/" || SYSTEM_PREFIXES.some((system) => `${prefix}/`.startsWith(system))) return undefined;
  return prefix;
}

function existingDirectory(label: string, dir: string): string {
  if (!path.isAbsolute(dir))
    throw new SandboxError(`${label} must be an absolute path (got ${JSON.stringify(dir)})`);
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    throw new SandboxError(`${label} ${dir} does not exist`);
  }
  if (!statSync(real).isDirectory()) throw new SandboxError(`${label} ${dir} is not a directory`);
  return real;
}

/** The profile login shells read: /etc/profile resets PATH, and the runtime's bin must stay on it. */
function profileScript(searchPath: string): string {
  return `export PATH='${searchPath.replaceAll("'", "'\\''")}'\n`;
}

/** Commands run under a uid that owns nothing: git must still accept the workspace as safe. */
const GITCONFIG = "[safe]\n\tdirectory = *\n";

function withSandboxUser(file: string, line: string): string {
  const text = readFileSync(file, "utf8");
  return `${text}${text.endsWith("\n") || text === "" ? "" : "\n"}${line}\n`;
}

/** Processes and threads this user already runs: RLIMIT_NPROC counts them too outside a namespace. */
async function ownThreadCount(): Promise<number> {
  const uid = process.getuid?.();
  const entries = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  const threads = await Promise.all(
    // A task directory's link count is its thread count plus two (".", "..").
    entries.map((pid) =>
      stat(`/proc/${pid}/task`).then(
        (info) => (info.uid === uid ? info.nlink - 2 : 0),
        () => 0,
      ),
    ),
  );
  return threads.reduce((sum, count) => sum + count, 0);
}

/**
 * Creates the runner for one workspace: every command runs in the sandbox with a minimal
 * environment, stdin closed, a wall-clock timeout that kills its whole process tree (exit 124),
 * output capped while streaming, and CPU, memory and process-count limits.
 *
 * @example
 * const sandbox = await createSandbox({ mode: "auto", workspace: "/data/workspaces/task-42" });
 * const result = await sandbox.run({ argv: ["npm", "test"], cwd: "/data/workspaces/task-42", timeoutMs: 120_000 });
 * await sandbox.setup("npm ci");
 * @throws SandboxError when the workspace is missing, an option is invalid, or bwrap is wanted but does not work
 */
export async function createSandbox(options: SandboxOptions): Promise<Sandbox> {
  let limits: SandboxLimits;
  try {
    limits = resolveLimits(options.limits);
  } catch (error) {
    throw new SandboxError((error as Error).message);
  }
  const workspace = existingDirectory("the workspace", options.workspace);
  const readOnlyPaths = (options.readOnlyPaths ?? []).map((dir) =>
    existingDirectory("a read-only path", dir),
  );
  const runtime = runtimeDirectory();
  if (runtime) readOnlyPaths.unshift(runtime);
  const extras = options.env ?? {};
  try {
    sandboxEnvironment({ home: SANDBOX_HOME, tmp: "/tmp", extras });
  } catch (error) {
    throw new SandboxError((error as Error).message);
  }
  const mode = await detectSandboxMode(options.mode, options.log);
  const network = options.network ?? false;
  const uid = sandboxUid();
  const searchPath = sandboxSearchPath();
  if (mode === "none") {
    options.log?.warn(
      { workspace },
      "sandbox: mode none — commands run as plain processes that can read and write what this process can; use it only inside an isolated container",
    );
  }
  const host: HostLayout | undefined = mode === "bwrap" ? readHostLayout() : undefined;
  const identity =
    mode === "bwrap" && uid !== undefined
      ? [
          withSandboxUser(
            "/etc/passwd",
            `sandbox:x:${uid}:${uid}:Loopwright sandbox:${SANDBOX_HOME}:/bin/sh`,
          ),
          withSandboxUser("/etc/group", `sandbox:x:${uid}:`),
        ]
      : [];

  function resolveCwd(cwd: string): string {
    const relative = path.relative(workspace, path.resolve(workspace, cwd));
    const inside = path.relative(options.workspace, path.resolve(options.workspace, cwd));
    // Accept the workspace as given or as its real path.
    const chosen = [relative, inside].find(
      (candidate) => !candidate.startsWith("..") && !path.isAbsolute(candidate),
    );
    if (chosen === undefined)
      throw new SandboxError(`the working directory ${cwd} is outside the workspace ${workspace}`);
    const resolved = path.join(workspace, chosen);
    let isDirectory = false;
    try {
      isDirectory = statSync(resolved).isDirectory();
    } catch {
      // reported below
    }
    if (!isDirectory)
      throw new SandboxError(`the working directory ${cwd} does not exist or is not a directory`);
    return resolved;
  }

  function check(request: CommandRequest): void {
    if (!Array.isArray(request.argv) || request.argv.length === 0 || request.argv[0] === "") {
      throw new SandboxError("nothing to run: the command is empty");
    }
    if (request.argv.some((arg) => typeof arg !== "string" || arg.includes("\0"))) {
      throw new SandboxError("command arguments must be strings without NUL characters");
    }
    if (!Number.isFinite(request.timeoutMs) || request.timeoutMs <= 0) {
      throw new SandboxError(
        `the timeout must be a positive number of milliseconds (got ${request.timeoutMs})`,
      );
    }
  }

  async function runBwrap(
    request: CommandRequest,
    cwd: string,
    allowNetwork: boolean,
  ): Promise<CommandResult> {
    const files = [
      { content: profileScript(searchPath), target: `${SANDBOX_HOME}/.profile`, writable: true },
      ...(uid === undefined
        ? []
        : [{ content: GITCONFIG, target: `${SANDBOX_HOME}/.gitconfig`, writable: true }]),
    ];
    const args = bwrapArguments({
      host: host as HostLayout,
      workspace,
      network: allowNetwork,
      readOnlyPaths,
      tmpBytes: limits.tmpBytes,
      rootless: uid === undefined,
      dataFiles: [
        ...files.map((file, index) => ({ fd: index + 3, target: file.target, writable: true })),
        ...["/etc/passwd", "/etc/group"].slice(0, identity.length).map((target, index) => ({
          fd: files.length + index + 3,
          target,
          writable: false,
        })),
      ],
      cwd,
    });
    return runProcessTree({
      argv: ["bwrap", ...args, "--", ...limitArguments(limits, { uid }), ...request.argv],
      env: sandboxEnvironment({ home: SANDBOX_HOME, tmp: "/tmp", extras, searchPath }),
      cwd,
      timeoutMs: request.timeoutMs,
      maxOutputBytes: limits.maxOutputBytes,
      signal: request.signal,
      inputs: [...files.map((file) => file.content), ...identity],
    });
  }

  async function runPlain(request: CommandRequest, cwd: string): Promise<CommandResult> {
    const scratch = await mkdtemp(path.join(os.tmpdir(), "loopwright-sandbox-"));
    try {
      const home = path.join(scratch, "home");
      const tmp = path.join(scratch, "tmp");
      await Promise.all([mkdir(home), mkdir(tmp)]);
      await writeFile(path.join(home, ".profile"), profileScript(searchPath));
      if (uid !== undefined) await writeFile(path.join(home, ".gitconfig"), GITCONFIG);
      const wrapper = limitArguments(limits, {
        uid,
        dieWithParent: true,
        extraProcesses: uid === undefined ? await ownThreadCount() : 0,
      });
      return await runProcessTree({
        argv: [...wrapper, ...request.argv],
        env: sandboxEnvironment({ home, tmp, extras, searchPath }),
        cwd,
        timeoutMs: request.timeoutMs,
        maxOutputBytes: limits.maxOutputBytes,
        signal: request.signal,
      });
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  function execute(request: CommandRequest, allowNetwork: boolean): Promise<CommandResult> {
    check(request);
    const cwd = resolveCwd(request.cwd);
    return mode === "bwrap" ? runBwrap(request, cwd, allowNetwork) : runPlain(request, cwd);
  }

  const policy: SandboxPolicy = {
    mode,
    network: mode === "none" || network,
    writableRoots: [workspace, "/tmp"],
  };
  return {
    policy,
    limits,
    run: async (request) => execute(request, network),
    setup: async (command, setupOptions = {}) => {
      if (typeof command !== "string" || command.trim() === "") {
        throw new SandboxError("the setup command is empty");
      }
      return execute(
        {
          argv: ["bash", "-lc", command],
          cwd: workspace,
          timeoutMs: setupOptions.timeoutMs ?? DEFAULT_SETUP_TIMEOUT_MS,
          signal: setupOptions.signal,
        },
        true,
      );
    },
  };
}
