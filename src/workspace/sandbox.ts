import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { readFileSync, realpathSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  type CommandRequest,
  type CommandResult,
  type CommandRunner,
  type SandboxPolicy,
  TaskLimitError,
} from "../agent/command-runner.ts";
import type { Logger } from "../logger.ts";
import { type NetworkGate, openNetworkGate } from "./network-gate.ts";
import { defaultAllowedHosts } from "./network-policy.ts";
import { once } from "./once.ts";
import {
  bwrapArguments,
  GATE_SOCKET,
  type HostLayout,
  readHostLayout,
  SANDBOX_HOME,
} from "./sandbox-bwrap.ts";
import { detectSandboxMode, SandboxError } from "./sandbox-detect.ts";
import { watchDisk } from "./sandbox-disk.ts";
import { sandboxEnvironment, sandboxSearchPath } from "./sandbox-environment.ts";
import { SandboxFiles } from "./sandbox-files.ts";
import { allocateSandboxIdentity, lendFolder, type SandboxIdentity } from "./sandbox-identity.ts";
import { limitArguments, resolveLimits, type SandboxLimits } from "./sandbox-limits.ts";
import { runProcessTree } from "./sandbox-process.ts";
import { type RuntimeMounts, runtimeMounts } from "./sandbox-runtime.ts";

export { detectSandboxMode, SandboxError } from "./sandbox-detect.ts";
export type { SandboxLimits } from "./sandbox-limits.ts";

export type SandboxOptions = {
  /** `auto`: bwrap where it works, else refuse; `none`: no isolation, for an already isolated container. */
  mode: "auto" | "bwrap" | "none";
  /** The task's working tree: the only writable place besides a private /tmp. */
  workspace: string;
  /** Whether the agent's commands may use the network (through the gate; the setup command always may). */
  network?: boolean;
  /**
   * Hosts the network gate lets commands reach; empty or absent: the package registries of the
   * ecosystems found at the workspace's root when the sandbox is created.
   */
  allowedHosts?: string[];
  /** Non-secret variables from the repository config, added to the minimal environment. */
  env?: Record<string, string>;
  /** Host paths commands may read (shown at the same place), e.g. a shared git object store. */
  readOnlyPaths?: string[];
  limits?: Partial<SandboxLimits>;
  /**
   * When Loopwright runs as root, commands run as a fresh unprivileged uid that is lent the
   * workspace. `restore` (default, for a person's own folder) gives it back on `close()`; `keep`
   * leaves it (a task's workspace, removed afterwards anyway).
   */
  workspaceOwnership?: "restore" | "keep";
  log?: Logger;
};

/** The real `CommandRunner`, plus the repository's setup step. Always `close()` it. */
export type Sandbox = CommandRunner & {
  readonly limits: SandboxLimits;
  /**
   * Runs the repository's setup command line (e.g. `npm ci`) at the workspace root with the
   * gated network, whatever the policy for the agent's own commands.
   */
  setup(command: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<CommandResult>;
  /** Network decisions of the gate so far (hosts allowed and refused), for the step log. */
  networkDecisions(): { host: string; port: number; allowed: boolean; reason?: string }[];
  /** Stops the file server and the network gate, and gives the workspace back when asked to. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

const DEFAULT_SETUP_TIMEOUT_MS = 30 * 60_000;
/** The port the network bridge listens on inside the sandbox's own network namespace. */
const BRIDGE_PORT = 3128;

/** The folder of scripts that run inside the sandbox (file server, network bridge), .ts or built .js. */
const INSIDE_DIR = fileURLToPath(new URL("./inside/", import.meta.url));
const SCRIPT_EXTENSION = path.extname(fileURLToPath(import.meta.url));
const insideScript = (name: string) => path.join(INSIDE_DIR, `${name}${SCRIPT_EXTENSION}`);

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

/** Environment variables that send a command's HTTP(S) traffic to the network bridge. */
function proxyEnvironment(): Record<string, string> {
  const proxy = `http://127.0.0.1:${BRIDGE_PORT}`;
  return {
    HTTP_PROXY: proxy,
    HTTPS_PROXY: proxy,
    http_proxy: proxy,
    https_proxy: proxy,
    NO_PROXY: "localhost,127.0.0.1,::1",
    no_proxy: "localhost,127.0.0.1,::1",
    // Node's own fetch honours the variables only when asked.
    NODE_USE_ENV_PROXY: "1",
  };
}

function checkRequest(request: CommandRequest): void {
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

/** Resolves a command's working directory, which must be a folder inside the workspace. */
function workingDirectory(workspace: string, given: string, cwd: string): string {
  const chosen = [workspace, given]
    .map((root) => path.relative(root, path.resolve(root, cwd)))
    .find((candidate) => !candidate.startsWith("..") && !path.isAbsolute(candidate));
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

/** What every process of one sandbox shares: where it is, who it runs as, what it sees. */
type SandboxShape = {
  mode: "bwrap" | "none";
  workspace: string;
  limits: SandboxLimits;
  identity: SandboxIdentity | undefined;
  host: HostLayout | undefined;
  runtime: RuntimeMounts;
  readOnlyPaths: string[];
  extras: Record<string, string>;
  searchPath: string;
};

/** The full argv of one bwrap process: namespaces and mounts, then identity and limits, then `argv`. */
function bwrapCommand(shape: SandboxShape, argv: string[], cwd: string, gateSocket?: string): string[] {
  const { identity } = shape;
  const dataFiles = [`${SANDBOX_HOME}/.profile`, ...(identity ? ["/etc/passwd", "/etc/group"] : [])];
  const args = bwrapArguments({
    host: shape.host as HostLayout,
    workspace: shape.workspace,
    gateSocket,
    readOnlyPaths: shape.readOnlyPaths,
    symlinks: shape.runtime.symlinks,
    tmpBytes: shape.limits.tmpBytes,
    rootless: identity === undefined,
    dataFiles: dataFiles.map((target, index) => ({ fd: index + 3, target, writable: index === 0 })),
    cwd,
  });
  return ["bwrap", ...args, "--", ...limitArguments(shape.limits, { mode: "bwrap", identity }), ...argv];
}

/** Contents for the data files `bwrapCommand` names: the profile, then passwd and group for the uid. */
function bwrapDataFiles(shape: SandboxShape): string[] {
  const { identity } = shape;
  if (!identity) return [profileScript(shape.searchPath)];
  return [
    profileScript(shape.searchPath),
    withSandboxUser(
      "/etc/passwd",
      `sandbox:x:${identity.uid}:${identity.gid}:Loopwright sandbox:${SANDBOX_HOME}:/bin/sh`,
    ),
    withSandboxUser("/etc/group", `sandbox:x:${identity.gid}:`),
  ];
}

/** Runs one command of mode `none`: a plain process with a scratch home and tmp, limits applied. */
async function runPlain(shape: SandboxShape, request: CommandRequest, cwd: string): Promise<CommandResult> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), "loopwright-sandbox-"));
  try {
    const home = path.join(scratch, "home");
    const tmp = path.join(scratch, "tmp");
    await Promise.all([mkdir(home), mkdir(tmp)]);
    await writeFile(path.join(home, ".profile"), profileScript(shape.searchPath));
    const wrapper = limitArguments(shape.limits, {
      mode: "none",
      identity: shape.identity,
      extraProcesses: shape.identity === undefined ? await ownThreadCount() : 0,
    });
    return await runProcessTree({
      argv: [...wrapper, ...request.argv],
      env: sandboxEnvironment({ home, tmp, extras: shape.extras, searchPath: shape.searchPath }),
      cwd,
      timeoutMs: request.timeoutMs,
      maxOutputBytes: shape.limits.maxOutputBytes,
      signal: request.signal,
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Starts the file server for the sandbox's file tools, inside the same boundary as commands. */
function launchFileServer(shape: SandboxShape) {
  const argv = [process.execPath, insideScript("file-server"), shape.workspace];
  const env = sandboxEnvironment({ home: SANDBOX_HOME, tmp: "/tmp", searchPath: shape.searchPath });
  return () => {
    const full =
      shape.mode === "bwrap"
        ? bwrapCommand(shape, argv, shape.workspace)
        : [...limitArguments(shape.limits, { mode: "none", identity: shape.identity }), ...argv];
    const inputs = shape.mode === "bwrap" ? bwrapDataFiles(shape) : [];
    const [program, ...args] = full as [string, ...string[]];
    const child = spawn(program, args, {
      cwd: shape.workspace,
      env,
      stdio: ["pipe", "pipe", "pipe", ...inputs.map(() => "pipe" as const)],
      detached: true,
    });
    inputs.forEach((content, index) => {
      const pipe = child.stdio[index + 3] as NodeJS.WritableStream | null;
      pipe?.on("error", () => {});
      pipe?.end(content);
    });
    return child as unknown as ChildProcessWithoutNullStreams;
  };
}

/** Reads the options into a sandbox's shape: validated paths, limits, mode, identity and mounts. */
async function sandboxShape(options: SandboxOptions): Promise<SandboxShape> {
  let limits: SandboxLimits;
  try {
    limits = resolveLimits(options.limits);
  } catch (error) {
    throw new SandboxError((error as Error).message);
  }
  const workspace = existingDirectory("the workspace", options.workspace);
  const extras = options.env ?? {};
  try {
    sandboxEnvironment({ home: SANDBOX_HOME, tmp: "/tmp", extras });
  } catch (error) {
    throw new SandboxError((error as Error).message);
  }
  const mode = await detectSandboxMode(options.mode, options.log);
  const runtime = runtimeMounts();
  const readOnlyPaths = [
    ...runtime.binds,
    INSIDE_DIR.replace(/\/$/, ""),
    ...(options.readOnlyPaths ?? []).map((dir) => existingDirectory("a read-only path", dir)),
  ];
  return {
    mode,
    workspace,
    limits,
    identity: allocateSandboxIdentity(),
    host: mode === "bwrap" ? readHostLayout() : undefined,
    runtime,
    readOnlyPaths,
    extras,
    searchPath: sandboxSearchPath(runtime.binDir),
  };
}

/**
 * Creates the runner for one workspace. Every command — and every file operation of the agent's
 * tools, through a file server started in the same boundary — runs in the sandbox: its own
 * namespaces (no network but the gate), a fresh unprivileged uid without capabilities when
 * Loopwright is root, a minimal environment, stdin closed, a wall-clock timeout that kills the
 * whole process tree (exit 124), output capped while streaming, CPU, memory, process and file-size
 * limits, and the workspace's disk budget watched while commands run.
 *
 * @example
 * const sandbox = await createSandbox({ mode: "auto", workspace: "/data/workspaces/task-42", workspaceOwnership: "keep" });
 * const result = await sandbox.run({ argv: ["npm", "test"], cwd: "/data/workspaces/task-42", timeoutMs: 120_000 });
 * await sandbox.setup("npm ci");
 * await sandbox.close();
 * @throws SandboxError when the workspace is missing, an option is invalid, or bwrap is wanted but does not work
 */
export async function createSandbox(options: SandboxOptions): Promise<Sandbox> {
  const shape = await sandboxShape(options);
  const { mode, workspace, limits } = shape;
  if (mode === "none") {
    options.log?.warn(
      { workspace },
      "sandbox: mode none — commands run as plain processes that can read and write what this process can; use it only inside an isolated container",
    );
  }
  // Lent only in bwrap mode: mode none keeps root's file access on purpose (see sandbox-limits.ts).
  const giveBack =
    mode === "bwrap" && shape.identity ? await lendFolder(workspace, shape.identity) : async () => {};
  const files = new SandboxFiles(launchFileServer(shape));
  // Read before any command runs: files the model adds later must not widen the allowlist.
  const allowedHosts = options.allowedHosts?.length
    ? options.allowedHosts
    : defaultAllowedHosts(await readdir(workspace));
  let gate: Promise<NetworkGate> | undefined;
  let openedGate: NetworkGate | undefined;
  const openGate = () => {
    gate ??= openNetworkGate({ allowedHosts, log: options.log }).then((opened) => {
      openedGate = opened;
      return opened;
    });
    return gate;
  };
  let limitCrossed: string | undefined;

  async function runBwrap(request: CommandRequest, cwd: string, withNetwork: boolean) {
    const socket = withNetwork ? (await openGate()).socketPath : undefined;
    const argv = withNetwork
      ? [
          process.execPath,
          insideScript("network-bridge"),
          "--socket",
          GATE_SOCKET,
          "--port",
          String(BRIDGE_PORT),
          "--",
          ...request.argv,
        ]
      : request.argv;
    const extras = withNetwork ? { ...shape.extras, ...proxyEnvironment() } : shape.extras;
    return runProcessTree({
      argv: bwrapCommand(shape, argv, cwd, socket),
      env: sandboxEnvironment({ home: SANDBOX_HOME, tmp: "/tmp", extras, searchPath: shape.searchPath }),
      cwd,
      timeoutMs: request.timeoutMs,
      maxOutputBytes: limits.maxOutputBytes,
      signal: request.signal,
      inputs: bwrapDataFiles(shape),
    });
  }

  /** Runs a command while watching the disk budget; crossing it stops the command and the task. */
  async function execute(request: CommandRequest, withNetwork: boolean): Promise<CommandResult> {
    if (limitCrossed) throw new TaskLimitError(limitCrossed);
    checkRequest(request);
    const cwd = workingDirectory(workspace, options.workspace, request.cwd);
    const overBudget = new AbortController();
    const signal = request.signal ? AbortSignal.any([request.signal, overBudget.signal]) : overBudget.signal;
    const stopWatching = watchDisk(
      workspace,
      { maxBytes: limits.diskBytes, maxEntries: limits.maxEntries },
      (why) => {
        limitCrossed = why;
        overBudget.abort(new TaskLimitError(why));
      },
    );
    try {
      const running = { ...request, signal };
      return mode === "bwrap"
        ? await runBwrap(running, cwd, withNetwork)
        : await runPlain(shape, running, cwd);
    } catch (error) {
      if (limitCrossed && overBudget.signal.aborted) throw new TaskLimitError(limitCrossed);
      throw error;
    } finally {
      stopWatching();
    }
  }

  const close = once(async () => {
    await files.close();
    if (gate) await (await gate).close();
    if (options.workspaceOwnership !== "keep") await giveBack();
  });
  const network = options.network ?? false;
  const policy: SandboxPolicy = {
    mode,
    network: mode === "none" || network,
    writableRoots: [workspace, "/tmp"],
  };
  return {
    policy,
    limits,
    files,
    run: (request) => execute(request, network),
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
    networkDecisions: () => [...(openedGate?.decisions ?? [])],
    close,
    [Symbol.asyncDispose]: close,
  };
}
