import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { GitError, runGit } from "./git.ts";

/** The commits a review looks at: the whole pull request, and what is new since the last review. */
export type ReviewRange = {
  /** Where the pull request's diff starts: the merge-base of the base branch and the head. */
  mergeBase: string;
  head: string;
  /** The last reviewed head when it is still an ancestor of the head (an incremental review). */
  since: string | undefined;
};

type MirrorGit = { mirrorPath: string; repository: string; signal?: AbortSignal };

const git = (options: MirrorGit, operation: string, args: string[]) =>
  runGit(args, {
    operation,
    repository: options.repository,
    cwd: options.mirrorPath,
    signal: options.signal,
  });

async function succeeds(options: MirrorGit, operation: string, args: string[]): Promise<boolean> {
  try {
    await git(options, operation, args);
    return true;
  } catch (error) {
    if (error instanceof GitError) return false;
    throw error;
  }
}

/**
 * The range a pull request review covers, read from the mirror (never the workspace's `.git`):
 * merge-base of `refs/heads/<baseRef>` and the head; `since` is the last reviewed commit when it is
 * still an ancestor of the head (a force-push makes the next review a full one).
 *
 * @example
 * const range = await reviewRange({ mirrorPath, repository: "o/r" }, { baseRef: "main", head, lastReviewed });
 * @throws Error when the base branch is not in the mirror or has no common history with the head
 */
export async function reviewRange(
  options: MirrorGit,
  request: { baseRef: string; head: string; lastReviewed: string | null | undefined },
): Promise<ReviewRange> {
  const base = `refs/heads/${request.baseRef}`;
  if (!(await succeeds(options, "rev-parse", ["rev-parse", "--verify", "--quiet", `${base}^{commit}`]))) {
    throw new Error(`the base branch ${request.baseRef} does not exist in ${options.repository}`);
  }
  let mergeBase: string;
  try {
    mergeBase = (await git(options, "merge-base", ["merge-base", base, request.head])).stdout.trim();
  } catch (error) {
    if (error instanceof GitError) {
      throw new Error(`the pull request has no history in common with ${request.baseRef}`);
    }
    throw error;
  }
  const last = request.lastReviewed ?? undefined;
  const since =
    last !== undefined &&
    last !== request.head &&
    /^[0-9a-f]{7,64}$/i.test(last) &&
    (await succeeds(options, "merge-base", ["merge-base", "--is-ancestor", last, request.head]))
      ? last
      : undefined;
  return { mergeBase, head: request.head, since };
}

/**
 * `git diff from to` with renames found, no external diff or text conversion drivers, no colour.
 *
 * @example
 * const diff = await diffCommits({ mirrorPath, repository: "o/r" }, range.mergeBase, range.head);
 */
export async function diffCommits(options: MirrorGit, from: string, to: string): Promise<string> {
  const { stdout } = await git(options, "diff", [
    "diff",
    "--no-ext-diff",
    "--no-textconv",
    "--no-color",
    "-M",
    from,
    to,
  ]);
  return stdout;
}

/**
 * The lines of a file at a commit, or undefined when the file does not exist there.
 *
 * @example
 * await fileLinesAt({ mirrorPath, repository: "o/r" }, head, "src/sum.js"); // ["export function sum(a, b) {", …]
 */
export async function fileLinesAt(
  options: MirrorGit,
  commit: string,
  file: string,
): Promise<string[] | undefined> {
  try {
    const { stdout } = await git(options, "show", ["show", "--no-textconv", `${commit}:${file}`]);
    return stdout.replace(/\r\n/g, "\n").replace(/\n$/, "").split("\n");
  } catch (error) {
    if (error instanceof GitError) return undefined;
    throw error;
  }
}

/**
 * Puts a file of the working tree back to its content at a trusted commit (or removes it when that
 * commit has none): for a fork's pull request, the project instructions (`AGENTS.md`) come from the
 * base, never from the fork's head.
 *
 * @example
 * await restoreFromCommit({ mirrorPath, repository: "o/r" }, workspace.path, range.mergeBase, "AGENTS.md");
 */
export async function restoreFromCommit(
  options: MirrorGit,
  tree: string,
  commit: string,
  file: string,
): Promise<void> {
  const target = path.join(tree, file);
  await rm(target, { force: true, recursive: true });
  const lines = await fileLinesAt(options, commit, file);
  if (lines !== undefined) await writeFile(target, `${lines.join("\n")}\n`);
}
