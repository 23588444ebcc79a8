// The spawn helper: a small Node process, started before the server loads its heavy modules, that
// starts child processes on the server's behalf. A child is forked from the helper's few tens of MB
// instead of the server's hundreds, which is what makes spawning from a large process slow.
// Only Node built-ins here: the helper must stay small.
import { type ChildProcess, spawn } from "node:child_process";
import type { Writable } from "node:stream";

/** What the server asks of the helper: start a child (it ends children itself, by process group). */
export type HelperRequest = {
  type: "spawn";
  id: number;
  program: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Written to the child's file descriptors 3, 4, … and closed. */
  inputs: string[];
};

/** What the helper tells the server about a child. */
export type HelperEvent =
  | { type: "spawned"; id: number; pid: number }
  | { type: "data"; id: number; fd: 1 | 2; chunk: Uint8Array }
  | { type: "exit"; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { type: "close"; id: number }
  | { type: "error"; id: number; message: string; code: string | undefined };

const children = new Map<number, ChildProcess>();
const send = (event: HelperEvent) => process.send?.(event);

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // the group is already gone
  }
}

function start(request: HelperRequest): void {
  const child = spawn(request.program, request.args, {
    cwd: request.cwd,
    env: request.env,
    stdio: ["ignore", "pipe", "pipe", ...request.inputs.map(() => "pipe" as const)],
    // Its own process group, so the server can end the whole tree (it kills by -pid).
    detached: true,
  });
  children.set(request.id, child);
  child.once("error", (error: NodeJS.ErrnoException) => {
    children.delete(request.id);
    send({ type: "error", id: request.id, message: error.message, code: error.code });
  });
  if (child.pid === undefined) return;
  send({ type: "spawned", id: request.id, pid: child.pid });
  child.stdout?.on("data", (chunk: Buffer) => send({ type: "data", id: request.id, fd: 1, chunk }));
  child.stderr?.on("data", (chunk: Buffer) => send({ type: "data", id: request.id, fd: 2, chunk }));
  request.inputs.forEach((content, index) => {
    const pipe = child.stdio[index + 3] as Writable | null;
    pipe?.on("error", () => {}); // the child may exit before reading; its exit status says why
    pipe?.end(content);
  });
  child.once("exit", (code, signal) => send({ type: "exit", id: request.id, code, signal }));
  child.once("close", () => {
    children.delete(request.id);
    send({ type: "close", id: request.id });
  });
}

process.on("message", (request: HelperRequest) => {
  if (request.type === "spawn") start(request);
});

// The server is gone (exited, killed): nothing it started outlives it.
process.on("disconnect", () => {
  for (const child of children.values()) killGroup(child);
  process.exit(0);
});
