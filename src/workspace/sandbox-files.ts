import type { ChildProcessWithoutNullStreams } from "node:child_process";
import type { Socket } from "node:net";
import { createInterface } from "node:readline";
import {
  type FileKind,
  type TreeEntry,
  WorkspaceFileError,
  type WorkspaceFiles,
} from "../agent/workspace-files.ts";

/** How long one file operation may take before the file server is considered stuck and restarted. */
const REQUEST_TIMEOUT_MS = 60_000;

type Pending = {
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
};

type Running = { child: ChildProcessWithoutNullStreams; pending: Map<number, Pending>; stderr: string };

type Reply = { id: number; result?: unknown; error?: { code: string; message: string } };

/**
 * The agent's file operations, answered by `inside/file-server.ts` running inside the sandbox
 * (same namespaces, uid and limits as the agent's commands), so what they can reach is decided by
 * the kernel. The server starts on the first operation and is restarted after it dies.
 *
 * @example
 * const files = new SandboxFiles(() => spawn("bwrap", [...args, "node", serverScript, root]));
 * const text = (await files.readFile("/work/ws/README.md", 1 << 20)).toString("utf8");
 * await files.close();
 */
export class SandboxFiles implements WorkspaceFiles {
  readonly #launch: () => ChildProcessWithoutNullStreams;
  #running: Running | undefined;
  #nextId = 1;
  #closed = false;

  constructor(launch: () => ChildProcessWithoutNullStreams) {
    this.#launch = launch;
  }

  async stat(target: string): Promise<{ kind: FileKind; size: number } | undefined> {
    const result = (await this.#request("stat", { path: target })) as {
      kind: FileKind | "missing";
      size: number;
    };
    return result.kind === "missing" ? undefined : { kind: result.kind, size: result.size };
  }

  async readFile(target: string, maxBytes: number): Promise<Buffer> {
    const result = (await this.#request("read", { path: target, maxBytes })) as {
      size: number;
      data: string | null;
    };
    if (result.data === null) {
      throw new WorkspaceFileError("EFBIG", `${result.size} bytes, more than the ${maxBytes} allowed`);
    }
    return Buffer.from(result.data, "base64");
  }

  async listTree(
    target: string,
    options: { depth: number; maxEntries: number; notOpened: string[] },
  ): Promise<{ entries: TreeEntry[]; omitted: number }> {
    return (await this.#request("list", { path: target, ...options })) as {
      entries: TreeEntry[];
      omitted: number;
    };
  }

  async writeFile(target: string, data: Uint8Array | string): Promise<void> {
    await this.#request("write", { path: target, data: Buffer.from(data).toString("base64") });
  }

  async removeFile(target: string): Promise<void> {
    await this.#request("remove", { path: target });
  }

  /** Stops the file server; later operations fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const running = this.#running;
    this.#running = undefined;
    if (!running) return;
    const exited = new Promise<void>((resolve) => running.child.once("close", () => resolve()));
    // Waited for now, so it must hold the event loop until it is gone.
    running.child.ref();
    for (const stream of [running.child.stdout, running.child.stderr]) (stream as unknown as Socket).ref?.();
    running.child.stdin.end();
    killGroup(running.child);
    await exited;
  }

  #request(op: string, payload: Record<string, unknown>): Promise<unknown> {
    if (this.#closed) return Promise.reject(new WorkspaceFileError("EIO", "the sandbox is closed"));
    const running = this.#ensureRunning();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        running.pending.delete(id);
        reject(
          new WorkspaceFileError("ETIMEDOUT", `the file operation took longer than ${REQUEST_TIMEOUT_MS} ms`),
        );
        killGroup(running.child);
      }, REQUEST_TIMEOUT_MS);
      running.pending.set(id, { resolve, reject, timer });
      running.child.stdin.write(`${JSON.stringify({ id, op, ...payload })}\n`);
    });
  }

  #ensureRunning(): Running {
    if (this.#running) return this.#running;
    const child = this.#launch();
    const running: Running = { child, pending: new Map(), stderr: "" };
    this.#running = running;
    // The server must not keep this process alive; a pending request's timer does while it waits.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as Socket).unref?.();
    child.stdin.on("error", () => {}); // a dead server is reported by its exit
    child.stderr.on("data", (chunk: Buffer) => {
      running.stderr = `${running.stderr}${chunk.toString()}`.slice(-2000);
    });
    createInterface({ input: child.stdout }).on("line", (line) => settle(running, line));
    const fail = (reason: string) => {
      if (this.#running === running) this.#running = undefined;
      for (const [id, pending] of running.pending) {
        clearTimeout(pending.timer);
        pending.reject(new WorkspaceFileError("EIO", reason));
        running.pending.delete(id);
      }
    };
    child.on("error", (error) => fail(`the sandbox file server could not start: ${error.message}`));
    child.on("close", (code, signal) =>
      fail(
        `the sandbox file server stopped (${signal ?? `exit ${code}`})${running.stderr.trim() ? `: ${running.stderr.trim()}` : ""}`,
      ),
    );
    return running;
  }
}

function settle(running: Running, line: string): void {
  let reply: Reply;
  try {
    reply = JSON.parse(line) as Reply;
  } catch {
    return; // not an answer (the server prints nothing else); ignored
  }
  const pending = running.pending.get(reply.id);
  if (!pending) return;
  running.pending.delete(reply.id);
  clearTimeout(pending.timer);
  if (reply.error) pending.reject(new WorkspaceFileError(reply.error.code, reply.error.message));
  else pending.resolve(reply.result);
}

function killGroup(child: ChildProcessWithoutNullStreams): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}
