import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Why an existing folder must not be made private (it is not Loopwright's own), or undefined. */
function sharedFolderReason(absolute: string): string | undefined {
  const stat = statSync(absolute);
  if (absolute === path.parse(absolute).root) return "it is the file system's root";
  if (absolute === path.resolve(os.homedir())) return "it is the home folder";
  // /tmp, /var/tmp, /dev/shm: everyone's scratch space, which 0700 would take from everyone else.
  if (stat.mode & 0o1000) return "it is a shared folder (sticky bit set)";
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) return `it belongs to another user (uid ${stat.uid})`;
  return undefined;
}

/**
 * Creates `dir` (and its missing parents) readable only by this process's user, and makes an
 * existing one so: Loopwright's data — the database, repository mirrors, workspaces — is nobody
 * else's business on a shared host. A folder that is not Loopwright's own — the root, the home
 * folder, a shared one like /tmp, another user's — is refused with an error saying so, never
 * changed: `LOOPWRIGHT_DATA_DIR=/tmp` must not lock every other user out of /tmp.
 *
 * @example
 * privateDirectory("/var/lib/loopwright/db"); // drwx------
 * @throws Error naming the folder and why it cannot be Loopwright's data folder
 */
export function privateDirectory(dir: string): string {
  const absolute = path.resolve(dir);
  const created = mkdirSync(absolute, { recursive: true, mode: 0o700 });
  if (created === undefined) {
    const reason = sharedFolderReason(absolute);
    if (reason) {
      throw new Error(
        `${absolute} cannot hold Loopwright's data: ${reason}, and Loopwright makes its data folder ` +
          `private (0700); set LOOPWRIGHT_DATA_DIR to a folder of its own, e.g. ${path.join(absolute, "loopwright")}`,
      );
    }
  }
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
