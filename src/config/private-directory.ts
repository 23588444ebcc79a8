import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync } from "node:fs";
import path from "node:path";

/**
 * Creates `dir` (and its missing parents) readable only by this process's user, and makes an
 * existing one so: Loopwright's data — the database, repository mirrors, workspaces — is nobody
 * else's business on a shared host.
 *
 * @example
 * privateDirectory("/var/lib/loopwright/db"); // drwx------
 */
export function privateDirectory(dir: string): string {
  const absolute = path.resolve(dir);
  mkdirSync(absolute, { recursive: true, mode: 0o700 });
  chmodSync(absolute, 0o700);
  return absolute;
}

/**
 * Takes every right of the group and others from a folder's contents. The embedded database sets
 * its own file modes (0666) whatever the umask; its folder is 0700, and this keeps the files private
 * at rest too (on open and on close).
 *
 * @example
 * privateTree("/var/lib/loopwright/db");
 */
export function privateTree(dir: string): void {
  const result = spawnSync("chmod", ["-R", "go-rwx", "--", dir], { stdio: "ignore" });
  if (result.status !== 0) throw new Error(`could not make ${dir} private (chmod exited ${result.status})`);
}
