import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import os from "node:os";

/** Thrown when another live process holds the lock. */
export class DirectoryLockedError extends Error {
  override name = "DirectoryLockedError";
  readonly pid: number | undefined;
  constructor(message: string, pid: number | undefined) {
    super(message);
    this.pid = pid;
  }
}

export type DirectoryLock = { readonly path: string; release(): void };

/** Lock files this process holds, so a second open in the same process fails too. */
const held = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readOwner(lockPath: string): { pid: number | undefined; host: string | undefined } {
  try {
    const [pid, host] = readFileSync(lockPath, "utf8").trim().split(/\s+/);
    const parsed = Number(pid);
    return { pid: Number.isInteger(parsed) && parsed > 0 ? parsed : undefined, host };
  } catch {
    return { pid: undefined, host: undefined };
  }
}

/**
 * Takes an exclusive lock file (`<pid> <hostname>`), so one process at a time owns a resource such
 * as the embedded database directory. A lock left by a dead process on this host is taken over.
 *
 * @example
 * const lock = acquireDirectoryLock("/srv/.loopwright/db.lock", (pid) => `in use by ${pid}`);
 * lock.release();
 * @throws DirectoryLockedError with `describe(pid)` as its message when a live process holds it
 */
export function acquireDirectoryLock(
  lockPath: string,
  describe: (pid: number | undefined) => string,
): DirectoryLock {
  if (held.has(lockPath)) throw new DirectoryLockedError(describe(process.pid), process.pid);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    let fd: number;
    try {
      fd = openSync(lockPath, "wx");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = readOwner(lockPath);
      const sameHost = owner.host === undefined || owner.host === os.hostname();
      // The file is written right after it is created: an empty one is another process mid-acquire.
      const stale = sameHost && owner.pid !== undefined && (owner.pid === process.pid || !isAlive(owner.pid));
      if (!stale || attempt > 0) throw new DirectoryLockedError(describe(owner.pid), owner.pid);
      unlinkSync(lockPath);
      continue;
    }
    writeSync(fd, `${process.pid} ${os.hostname()}\n`);
    closeSync(fd);
    held.add(lockPath);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      held.delete(lockPath);
      process.off("exit", release);
      if (readOwner(lockPath).pid === process.pid) unlinkSync(lockPath);
    };
    process.on("exit", release);
    return { path: lockPath, release };
  }
  throw new DirectoryLockedError(describe(undefined), undefined);
}
