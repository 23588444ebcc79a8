import { createHash } from "node:crypto";
import { runGit } from "./git.ts";
import type { Workspace } from "./workspace.ts";

/**
 * A change's identity in the manner of `git patch-id --stable`: the added and removed lines of each
 * file, whitespace ignored, without line numbers or context, files in any order. The same edit made
 * on a newer base has the same id; any different edit has another.
 *
 * @example
 * patchIdOf("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"); // "3f1c…"
 */
export function patchIdOf(diff: string): string {
  const files = new Map<string, ReturnType<typeof createHash>>();
  let current: ReturnType<typeof createHash> | undefined;
  for (const line of diff.split("\n")) {
    if (line.startsWith("diff --git ")) {
      current = createHash("sha256").update(line.replace(/\s+/g, ""));
      files.set(line, current);
    } else if (/^(\+\+\+|---) /.test(line) || line.startsWith("@@")) {
      // headers and hunk positions say where, not what
    } else if ((line.startsWith("+") || line.startsWith("-")) && current) {
      current.update(`${line[0]}${line.slice(1).replace(/\s+/g, "")}\n`);
    }
  }
  const total = createHash("sha256");
  for (const digest of [...files.values()].map((hash) => hash.digest("hex")).sort()) total.update(digest);
  return total.digest("hex");
}

/**
 * The patch id of what a workspace's commits change since it started (see `patchIdOf`), read through
 * the host git dir (never the model-writable `.git`).
 *
 * @example
 * const id = await workspacePatchId(workspace);
 */
export async function workspacePatchId(workspace: Workspace, signal?: AbortSignal): Promise<string> {
  const { stdout } = await runGit(
    [
      "-c",
      `safe.directory=${workspace.hostGitDir}`,
      "--git-dir",
      workspace.hostGitDir,
      "diff",
      "--no-ext-diff",
      "--no-color",
      "--no-renames",
      "-U0",
      workspace.baseSha,
      "HEAD",
    ],
    { operation: "diff", repository: workspace.repository, signal },
  );
  return patchIdOf(stdout);
}

/**
 * The commit a branch of a remote repository is at, or undefined when it has no such branch.
 *
 * @example
 * await remoteBranchSha("https://github.com/o/r.git", "agent/maintain-deps", { token });
 * @throws GitError when the remote cannot be reached
 */
export async function remoteBranchSha(
  url: string,
  branch: string,
  options: { token?: string; signal?: AbortSignal; repository: string },
): Promise<string | undefined> {
  const { stdout } = await runGit(["ls-remote", "--heads", url, `refs/heads/${branch}`], {
    operation: "ls-remote",
    repository: options.repository,
    ...(options.token && { token: options.token }),
    ...(options.signal && { signal: options.signal }),
  });
  const line = stdout.split("\n").find((entry) => entry.endsWith(`\trefs/heads/${branch}`));
  return line?.split("\t")[0];
}
