import { stat } from "node:fs/promises";
import { spawnLean } from "./spawn-helper.ts";

/** Who sandboxed commands run as when Loopwright runs as root: a fresh uid, the shared sandbox group. */
export type SandboxIdentity = { uid: number; gid: number };

/**
 * The group every sandbox runs in. Repository mirrors are readable by it (a workspace borrows their
 * objects); nothing else on the host is.
 */
export const SANDBOX_GID = 1_599_999_999;

/**
 * A fresh identity for one sandbox when this process is root (the kernel then enforces the process
 * limit per sandbox, and nothing the commands do acts with root's rights); undefined otherwise, when
 * commands keep this process's own unprivileged uid inside a user namespace.
 *
 * @example
 * allocateSandboxIdentity(); // { uid: 1634512345, gid: 1599999999 } as root
 */
export function allocateSandboxIdentity(): SandboxIdentity | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return { uid: 1_600_000_000 + Math.floor(Math.random() * 100_000_000), gid: SANDBOX_GID };
}

function chownTree(folder: string, uid: number, gid: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // -h with -R: links are changed themselves, never followed out of the folder.
    const child = spawnLean("chown", ["-R", "-h", `${uid}:${gid}`, "--", folder]);
    child.stdout.resume();
    let errors = "";
    child.stderr.on("data", (chunk: Buffer) => {
      errors += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve()
        : reject(
            new Error(`could not hand ${folder} to uid ${uid}: ${errors.trim() || `chown exited ${code}`}`),
          ),
    );
  });
}

/**
 * Hands a folder (recursively) to the sandbox's identity so its commands, which keep no
 * capabilities, can write it. Resolves to a function that gives it back to its previous owner,
 * for a person's own folder (`loopwright run`); a task's workspace is removed instead.
 *
 * @example
 * const giveBack = await lendFolder("/data/workspaces/ws-1/tree", identity);
 * await giveBack();
 */
export async function lendFolder(folder: string, identity: SandboxIdentity): Promise<() => Promise<void>> {
  const owner = await stat(folder);
  await chownTree(folder, identity.uid, identity.gid);
  return () => chownTree(folder, owner.uid, owner.gid);
}
