import { type ChildProcess, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import path from "node:path";
import { PassThrough, type Readable, type Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { HelperEvent, HelperRequest } from "./spawn-helper-process.ts";

const HELPER_SCRIPT = fileURLToPath(
  new URL(`./spawn-helper-process${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

/** What callers use of a started child: its pid (a process group of its own), output and end. */
export type LeanChild = EventEmitter & {
  readonly pid: number | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
};

export type LeanSpawnOptions = {
  /** Default: this process's working folder. */
  cwd?: string;
  /** Default: this process's environment. */
  env?: Record<string, string>;
  /** Written to the child's file descriptors 3, 4, … and closed (bwrap reads them as files). */
  inputs?: string[];
};

/** A child started through the helper: events and output arrive as the helper forwards them. */
class RemoteChild extends EventEmitter {
  pid: number | undefined;
  #exit: [number | null, NodeJS.Signals | null] = [null, null];
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();

  handle(event: HelperEvent): boolean {
    switch (event.type) {
      case "spawned":
        this.pid = event.pid;
        return false;
      case "data":
        (event.fd === 1 ? this.stdout : this.stderr).write(
          Buffer.from(event.chunk.buffer, event.chunk.byteOffset, event.chunk.byteLength),
        );
        return false;
      case "exit":
        this.#exit = [event.code, event.signal];
        this.emit("exit", event.code, event.signal);
        return false;
      case "close":
        this.stdout.end();
        this.stderr.end();
        this.emit("close", ...this.#exit);
        return true;
      case "error":
        this.emit("error", Object.assign(new Error(event.message), { code: event.code }));
        return true;
    }
  }
}

let helper: ChildProcess | undefined;
let nextId = 1;
const waiting = new Map<number, RemoteChild>();

function helperGone(): void {
  helper = undefined;
  for (const child of waiting.values())
    child.handle({ type: "error", id: 0, message: "the spawn helper stopped", code: undefined });
  waiting.clear();
}

/**
 * Starts the spawn helper: a small Node process that starts children for this one (`spawnLean`).
 * Forking copies the parent's page tables, so a child started from a process holding an embedded
 * database and a web server takes several times longer to start than from a small one; call this
 * early, while the process is still small. The helper ends when this process does, and takes its
 * children's process groups with it. Idempotent.
 *
 * @example
 * startSpawnHelper(); // first thing in `loopwright serve`
 */
export function startSpawnHelper(): void {
  if (helper) return;
  const started = spawn(process.execPath, [HELPER_SCRIPT], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    serialization: "advanced",
  });
  started.on("message", (event: HelperEvent) => {
    const child = waiting.get(event.id);
    if (child?.handle(event)) waiting.delete(event.id);
    if (waiting.size === 0) started.channel?.unref();
  });
  started.once("exit", () => {
    if (helper === started) helperGone();
  });
  started.on("error", () => {
    if (helper === started) helperGone();
  });
  // An idle helper does not keep this process alive; a request in flight does (see spawnLean).
  started.unref();
  started.channel?.unref();
  helper = started;
}

/**
 * Stops the spawn helper (children it started are killed with it); later spawns are direct.
 *
 * @example
 * await stopSpawnHelper();
 */
export async function stopSpawnHelper(): Promise<void> {
  const running = helper;
  if (!running) return;
  helperGone();
  if (running.exitCode !== null || running.signalCode !== null) return;
  const exited = new Promise((resolve) => running.once("exit", resolve));
  // Its channel closing is its cue to end (see spawn-helper-process.ts).
  if (running.connected) running.disconnect();
  else running.kill("SIGKILL");
  await exited;
}

/**
 * Starts `program args…` in a process group of its own with stdin closed and stdout/stderr piped:
 * through the spawn helper when one runs (`startSpawnHelper`), else directly. The result behaves as
 * a `ChildProcess` for what callers use: `pid`, `stdout`, `stderr`, and the `error`, `exit` and
 * `close` events; end it with `process.kill(-pid, signal)`.
 *
 * @example
 * const child = spawnLean("git", ["status"], { cwd, env });
 * child.on("close", () => console.log("done"));
 */
export function spawnLean(program: string, args: string[], options: LeanSpawnOptions = {}): LeanChild {
  const inputs = options.inputs ?? [];
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? (process.env as Record<string, string>);
  const running = helper;
  if (!running?.connected) {
    const child = spawn(program, args, {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe", ...inputs.map(() => "pipe" as const)],
      detached: true,
    });
    inputs.forEach((content, index) => {
      const pipe = child.stdio[index + 3] as Writable | null;
      pipe?.on("error", () => {}); // the child may exit before reading; its exit status says why
      pipe?.end(content);
    });
    return child as ChildProcess & LeanChild;
  }
  const id = nextId++;
  const child = new RemoteChild();
  waiting.set(id, child);
  running.channel?.ref();
  const request: HelperRequest = {
    type: "spawn",
    id,
    program,
    args,
    cwd,
    env,
    inputs,
  };
  running.send(request, (error) => {
    if (error && waiting.delete(id))
      child.handle({ type: "error", id, message: error.message, code: undefined });
  });
  return child;
}
