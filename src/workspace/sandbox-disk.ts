import { spawnLean } from "./spawn-helper.ts";

/** What a folder holds: bytes on disk and entries (files, folders, links). */
export type DiskUsage = { bytes: number; entries: number };

function du(args: string[], folder: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // Through the spawn helper when one runs: measured every few seconds while a command runs.
    const child = spawnLean("du", [...args, "--", folder]);
    child.stderr.resume(); // complaints about files that vanished meanwhile are not needed
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on("error", reject);
    // du exits 1 when a file vanished while it counted; its total is still right for our purpose.
    child.on("close", () => resolve(Number.parseInt(out, 10) || 0));
  });
}

/**
 * Measures a folder with `du` (links are counted, never followed).
 *
 * @example
 * await measureDisk("/data/workspaces/ws-1/tree"); // { bytes: 48_123_904, entries: 2_113 }
 */
export async function measureDisk(folder: string): Promise<DiskUsage> {
  const [bytes, entries] = await Promise.all([du(["-s", "-B1"], folder), du(["-s", "--inodes"], folder)]);
  return { bytes, entries };
}

/** Limits of a workspace as a whole. */
export type DiskBudget = { maxBytes: number; maxEntries: number };

/**
 * Checks a folder against its budget while a command runs: after `intervalMs`, then every
 * `intervalMs` (at least ten times as long as a measurement takes, so large trees are not re-read
 * constantly). A command shorter than the interval costs nothing; what it wrote is seen by the next
 * command's watch. Calls `onExceeded` once with the reason, then stops watching.
 *
 * @example
 * const stop = watchDisk(workspace, { maxBytes: 2 ** 32, maxEntries: 500_000 }, (why) => kill(why));
 * stop();
 */
export function watchDisk(
  folder: string,
  budget: DiskBudget,
  onExceeded: (reason: string) => void,
  intervalMs = 1_000,
): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    const started = performance.now();
    const usage = await measureDisk(folder).catch(() => undefined);
    if (stopped) return;
    const reason = usage && diskBudgetProblem(usage, budget);
    if (reason) {
      stopped = true;
      onExceeded(reason);
      return;
    }
    const took = performance.now() - started;
    timer = setTimeout(check, Math.max(intervalMs, 10 * took));
  };
  timer = setTimeout(check, intervalMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/**
 * Why a usage is over budget, in a maintainer's words, or undefined.
 *
 * @example
 * diskBudgetProblem({ bytes: 5e9, entries: 10 }, { maxBytes: 4e9, maxEntries: 1e5 });
 * // "the workspace grew to 5000 MB, over its disk budget of 4000 MB (budget.disk_mb)"
 */
export function diskBudgetProblem(usage: DiskUsage, budget: DiskBudget): string | undefined {
  const mb = (bytes: number) => Math.round(bytes / 1_000_000);
  if (usage.bytes > budget.maxBytes) {
    return `the workspace grew to ${mb(usage.bytes)} MB, over its disk budget of ${mb(budget.maxBytes)} MB (budget.disk_mb)`;
  }
  if (usage.entries > budget.maxEntries) {
    return `the workspace grew to ${usage.entries} files and folders, over its limit of ${budget.maxEntries}`;
  }
  return undefined;
}
