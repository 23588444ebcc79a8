import path from "node:path";
import { runGit } from "./git.ts";

export type TreeGitOptions = { repository: string; signal?: AbortSignal; timeoutMs?: number };

/**
 * Makes a working tree at `tree` from a mirror with `git clone --shared`: its own `.git` whose only
 * link to the mirror is a read-only alternates entry, checked out (detached) at `commit`.
 * `origin` names the real repository URL (never with credentials), so `git diff origin/main` reads
 * right while the model — without token or network — can neither fetch nor push.
 *
 * @example
 * await buildWorkingTree(mirror.path, "https://github.com/acme/app", "/data/ws/x/tree", sha, { repository: "acme/app" });
 */
export async function buildWorkingTree(
  mirror: string,
  url: string,
  tree: string,
  commit: string,
  options: TreeGitOptions,
): Promise<void> {
  const git = treeGit(options);
  await git("clone", ["clone", "--shared", "--no-checkout", "--quiet", mirror, tree]);
  await git("remote", ["remote", "set-url", "origin", url], tree);
  await git("checkout", ["checkout", "--quiet", "--detach", commit], tree);
}

/**
 * Brings a tree made by `buildWorkingTree` (possibly a while ago) up to the mirror's refs and puts
 * it on a new `branch` at `commit`; only files that differ are rewritten.
 *
 * @example
 * await startTaskBranch(mirror.path, tree, "agent/fix-12", sha, { repository: "acme/app", url, refreshRefs: true });
 */
export async function startTaskBranch(
  mirror: string,
  tree: string,
  branch: string,
  commit: string,
  options: TreeGitOptions & { refreshRefs: boolean; url: string },
): Promise<void> {
  const git = treeGit(options);
  if (options.refreshRefs) {
    await git("remote", ["remote", "set-url", "origin", options.url], tree);
    await git(
      "fetch",
      [
        "fetch",
        "--quiet",
        "--prune",
        "--no-write-fetch-head",
        mirror,
        "+refs/heads/*:refs/remotes/origin/*",
        "+refs/tags/*:refs/tags/*",
      ],
      tree,
    );
  }
  await git("checkout", ["checkout", "--quiet", "-b", branch, commit], tree);
}

function treeGit(options: TreeGitOptions) {
  return (operation: string, args: string[], cwd?: string) =>
    runGit(args, {
      operation,
      repository: options.repository,
      cwd: cwd === undefined ? undefined : path.resolve(cwd),
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
}
