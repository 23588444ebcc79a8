// The agent's file tools (read, list, write, delete) run here, INSIDE the sandbox, so the kernel
// decides what they can reach — not path checks in the server. It runs under the same uid, mounts
// and limits as the agent's shell commands and answers one JSON request per stdin line with one
// JSON line on stdout. Only `node:` built-ins may be imported: nothing else is mounted next to it.
//
// Usage: node file-server.ts ROOT
import { lstat, mkdir, open, readdir, realpath, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";

type Request = { id: number; op: string; path: string; [key: string]: unknown };
type Kind = "file" | "directory" | "symlink" | "other";

const root = process.argv[2] ?? "";
if (!path.isAbsolute(root)) {
  process.stderr.write("usage: node file-server.ts ROOT (an absolute path)\n");
  process.exit(2);
}

/** A refusal or failure the model should read; `code` is an errno name or "OUTSIDE". */
class FileError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

function isInside(candidate: string): boolean {
  return candidate === root || candidate.startsWith(`${root}${path.sep}`);
}

/** Real path of the longest existing ancestor, with the missing rest appended as named. */
async function realpathOfExisting(target: string): Promise<string> {
  const missing: string[] = [];
  let current = target;
  for (;;) {
    try {
      return path.join(await realpath(current), ...missing.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
      const parent = path.dirname(current);
      if (parent === current) return target;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

/** The path itself when it and every symlink on the way stay inside the root; refused otherwise. */
async function confined(requested: string): Promise<string> {
  if (!path.isAbsolute(requested) || !isInside(path.normalize(requested))) {
    throw new FileError("OUTSIDE", `${requested} is outside the workspace`);
  }
  const real = await realpathOfExisting(path.normalize(requested));
  if (!isInside(real)) {
    throw new FileError("OUTSIDE", `${requested} leads through a symlink to ${real}, outside the workspace`);
  }
  return real;
}

function kindOf(info: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): Kind {
  if (info.isSymbolicLink()) return "symlink";
  if (info.isFile()) return "file";
  return info.isDirectory() ? "directory" : "other";
}

async function stat(request: Request) {
  const target = await confined(request.path);
  try {
    const info = await lstat(target);
    return { kind: kindOf(info), size: info.size };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "missing", size: 0 };
    throw error;
  }
}

async function read(request: Request) {
  const target = await confined(request.path);
  const maxBytes = Number(request.maxBytes);
  const handle = await open(target, "r");
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw new FileError("EISDIR", `${request.path} is a folder`);
    if (info.size > maxBytes) return { size: info.size, data: null };
    return { size: info.size, data: (await handle.readFile()).toString("base64") };
  } finally {
    await handle.close();
  }
}

async function list(request: Request) {
  const top = await confined(request.path);
  const depth = Number(request.depth);
  const maxEntries = Number(request.maxEntries);
  const notOpened = new Set(request.notOpened as string[]);
  const entries: { path: string; kind: Kind; level: number }[] = [];
  let omitted = 0;
  const walk = async (dir: string, level: number): Promise<void> => {
    const names = await readdir(dir, { withFileTypes: true }).catch(() => []);
    names.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of names) {
      if (entries.length >= maxEntries) {
        omitted += 1;
        continue;
      }
      const kind = kindOf(entry);
      const full = path.join(dir, entry.name);
      entries.push({ path: path.relative(top, full), kind, level });
      if (kind === "directory" && level + 1 < depth && !notOpened.has(entry.name))
        await walk(full, level + 1);
    }
  };
  await walk(top, 0);
  return { entries, omitted };
}

async function write(request: Request) {
  const target = await confined(request.path);
  await mkdir(path.dirname(target), { recursive: true });
  // Checked again after creating the parents: a folder on the way may have been a symlink.
  await confined(target);
  await writeFile(target, Buffer.from(String(request.data), "base64"));
  return {};
}

async function remove(request: Request) {
  const target = await confined(request.path);
  await unlink(target);
  return {};
}

const operations: Record<string, (request: Request) => Promise<unknown>> = {
  stat,
  read,
  list,
  write,
  remove,
};

async function answer(line: string): Promise<string> {
  let request: Request;
  try {
    request = JSON.parse(line) as Request;
  } catch {
    return JSON.stringify({ id: -1, error: { code: "EPROTO", message: "not a JSON request" } });
  }
  const operation = operations[request.op];
  try {
    if (!operation) throw new FileError("EPROTO", `unknown operation ${request.op}`);
    if (typeof request.path !== "string") throw new FileError("EPROTO", "the request has no path");
    return JSON.stringify({ id: request.id, result: await operation(request) });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "EIO";
    return JSON.stringify({ id: request.id, error: { code, message: (error as Error).message } });
  }
}

const pending = new Set<Promise<void>>();
const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
lines.on("line", (line) => {
  const replied = answer(line).then((reply) => {
    process.stdout.write(`${reply}\n`);
  });
  pending.add(replied);
  replied.finally(() => pending.delete(replied));
});
// stdin closed: the server is done once the last answers are out.
lines.on("close", () => Promise.all(pending).then(() => process.exit(0)));
