import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

/**
 * When a process started, in clock ticks since boot (field 22 of /proc/PID/stat), or "0" where
 * /proc is missing. Process ids are reused — in containers every worker may be pid 1 — so a pid
 * alone cannot say whether a leftover's owner is still running; pid plus start time can.
 */
function startTime(pid: number | "self"): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses; fields after it are plain.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19];
  } catch {
    return undefined;
  }
}

const ownStart = startTime("self") ?? "0";

/**
 * Names of temporary things (workspaces, clone folders, leases) carry the owning process's id and
 * start time, so a later process can tell a crashed owner's leftovers from a live owner's files.
 *
 * @example
 * ownedName("ws"); // "ws-4242.183311-9f3a1c0b"
 */
export function ownedName(prefix: string): string {
  return `${prefix}-${process.pid}.${ownStart}-${randomBytes(4).toString("hex")}`;
}

/**
 * Whether the process that created `name` (see `ownedName`) is still running on this host.
 * Names that do not follow the pattern count as alive, so nothing unknown is ever deleted.
 *
 * @example
 * ownerIsAlive(ownedName("ws")); // true
 */
export function ownerIsAlive(name: string): boolean {
  const match = /^[a-z]+-(\d+)\.(\d+)-[0-9a-f]{8}$/.exec(name);
  if (!match) return true;
  const pid = Number(match[1]);
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive but someone else's.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const start = startTime(pid);
  return start === undefined || match[2] === "0" || start === match[2];
}
