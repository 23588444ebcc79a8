import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type FileStat, parseNumstat } from "./diffstat.ts";
import { runGit } from "./git.ts";

/** Snapshots of a folder's files as git trees, to tell what changed between two moments. */
export type FolderSnapshots = {
  /** Records the folder as it is now (`.gitignore` honoured); resolves to the tree's id. */
  take(): Promise<string>;
  /** The files that differ between two snapshots, with their added and removed lines. */
  changes(from: string, to: string): Promise<FileStat[]>;
  close(): Promise<void>;
};

/**
 * Snapshots of `folder` kept in a private git directory of their own, so nothing in the folder's
 * own `.git` (its config, hooks, filters, fsmonitor — which a model may have written to) takes part
 * and its index and refs are left alone; the folder's objects are borrowed when it has a `.git`.
 *
 * @example
 * const snapshots = await openFolderSnapshots("/home/me/app");
 * const before = await snapshots.take();
 * // … the agent works …
 * formatDiffstat(await snapshots.changes(before, await snapshots.take()));
 */
export async function openFolderSnapshots(folder: string, signal?: AbortSignal): Promise<FolderSnapshots> {
  const gitDir = await mkdtemp(path.join(os.tmpdir(), "loopwright-snapshots-"));
  const git = async (operation: string, args: string[]) =>
    (
      await runGit(
        ["-c", "core.bare=false", "--git-dir", gitDir, "--work-tree", folder, operation, ...args],
        { operation, repository: folder, cwd: folder, signal },
      )
    ).stdout;
  try {
    await runGit(["init", "--quiet", "--bare", gitDir], { operation: "init", repository: folder, signal });
    const objects = path.join(folder, ".git", "objects");
    if (existsSync(objects))
      await writeFile(path.join(gitDir, "objects", "info", "alternates"), `${objects}\n`);
  } catch (error) {
    await rm(gitDir, { recursive: true, force: true });
    throw error;
  }
  return {
    async take() {
      await git("add", ["--all", "--", "."]);
      return (await git("write-tree", [])).trim();
    },
    async changes(from, to) {
      return parseNumstat(await git("diff", ["--no-ext-diff", "--numstat", "-z", "-M", from, to]));
    },
    close: () => rm(gitDir, { recursive: true, force: true }),
  };
}
