import { parse as parseYaml } from "yaml";
import { parseRepoConfig, type RepoConfig } from "../config/repo-config.ts";
import { GitError, runGit } from "../workspace/git.ts";
import type { CommitFile, HistoryCommit } from "./candidates.ts";
import { unquotePath } from "./unified-diff.ts";

/**
 * Host-side reads of a bare repository Loopwright owns (a mirror of the mirror cache, or an eval
 * run's private copy): history, commit messages, diffs and file contents. Everything goes through
 * `runGit` (no hooks, no config from anywhere but the command line) with literal pathspecs; nothing
 * here runs code from the repository.
 */
export type RepositoryReader = {
  /** The bare repository's folder. */
  dir: string;
  /** How messages name it. */
  display: string;
  signal?: AbortSignal;
};

function git(reader: RepositoryReader, operation: string, args: string[]) {
  return runGit(["--literal-pathspecs", ...args], {
    operation,
    repository: reader.display,
    cwd: reader.dir,
    signal: reader.signal,
  });
}

const RECORD = "\x1e";
const FIELD = "\x1f";

/**
 * Commits reachable from HEAD, newest first, merges left out, each with the files it changes
 * (renames as a deletion and an addition; binary files flagged).
 *
 * @example
 * const commits = await listCommits(reader, { since: "2024-01-01" });
 * @throws GitError when git fails (a bad --since date, an empty repository)
 */
export async function listCommits(
  reader: RepositoryReader,
  options: { since?: string } = {},
): Promise<HistoryCommit[]> {
  const { stdout } = await git(reader, "log", [
    "log",
    "--no-merges",
    "--no-renames",
    "--numstat",
    `--format=${RECORD}%H${FIELD}%P${FIELD}%aI${FIELD}%s`,
    ...(options.since ? [`--since=${options.since}`] : []),
    "HEAD",
    "--",
  ]);
  return stdout
    .split(RECORD)
    .filter((record) => record.trim() !== "")
    .map((record) => {
      const [header = "", ...lines] = record.split("\n");
      const [sha = "", parents = "", date = "", subject = ""] = header.split(FIELD);
      const files: CommitFile[] = lines.flatMap((line) => {
        const match = /^(\d+|-)\t(\d+|-)\t(.+)$/.exec(line);
        if (!match) return [];
        const binary = match[1] === "-";
        return [
          {
            path: unquotePath(match[3] as string),
            added: binary ? 0 : Number(match[1]),
            deleted: binary ? 0 : Number(match[2]),
            binary,
          },
        ];
      });
      return { sha, parents: parents.split(" ").filter(Boolean), date, subject, files };
    });
}

/**
 * A commit's full message.
 *
 * @example
 * await commitMessage(reader, "4f1c2ab"); // "Fix clamp above the maximum\n\n…"
 */
export async function commitMessage(reader: RepositoryReader, sha: string): Promise<string> {
  return (await git(reader, "log", ["log", "-1", "--format=%B", sha, "--"])).stdout;
}

/**
 * The git diff between two commits, limited to `paths` when given (renames as deletion plus addition,
 * no external diff or text conversion), as the `patch` and `test_patch` of a task.
 *
 * @example
 * const testPatch = await diffPaths(reader, parent, sha, ["test/clamp.test.js"]);
 * const agentDiff = await diffPaths(reader, base, pushedSha);
 */
export async function diffPaths(
  reader: RepositoryReader,
  from: string,
  to: string,
  paths?: string[],
): Promise<string> {
  if (paths?.length === 0) return "";
  const args = [
    "diff",
    "--no-renames",
    "--no-ext-diff",
    "--no-textconv",
    "--no-color",
    from,
    to,
    "--",
    ...(paths ?? []),
  ];
  return (await git(reader, "diff", args)).stdout;
}

/**
 * A file's text at a commit, or undefined when the commit has no such file.
 *
 * @example
 * await fileAt(reader, sha, "package.json");
 */
export async function fileAt(
  reader: RepositoryReader,
  sha: string,
  path: string,
): Promise<string | undefined> {
  try {
    return (await git(reader, "cat-file", ["cat-file", "blob", `${sha}:${path}`])).stdout;
  } catch (error) {
    if (error instanceof GitError && !reader.signal?.aborted) return undefined;
    throw error;
  }
}

/**
 * Every path of a commit's tree, for detecting how a repository's tests run.
 *
 * @example
 * const paths = await treePaths(reader, sha); // ["README.md", "lib/sum.js", "test/sum.test.js"]
 */
export async function treePaths(reader: RepositoryReader, sha: string): Promise<string[]> {
  const { stdout } = await git(reader, "ls-tree", ["ls-tree", "-r", "-z", "--name-only", sha]);
  return stdout.split("\0").filter(Boolean);
}

/**
 * Whether the repository has the commit.
 *
 * @example
 * if (!(await hasCommit(reader, task.base_commit))) throw new Error("…");
 */
export async function hasCommit(reader: RepositoryReader, sha: string): Promise<boolean> {
  try {
    await git(reader, "cat-file", ["cat-file", "-e", `${sha}^{commit}`]);
    return true;
  } catch (error) {
    if (error instanceof GitError && !reader.signal?.aborted) return false;
    throw error;
  }
}

/**
 * The repository's `.github/loopwright.yml` at a commit, validated like the GitHub App does it (bad
 * keys fall back to their defaults and are reported in `problems`); the defaults without the file.
 *
 * @example
 * const { config, problems } = await repoConfigAt(reader, task.base_commit);
 */
export async function repoConfigAt(
  reader: RepositoryReader,
  sha: string,
): Promise<{ config: RepoConfig; problems: string[] }> {
  const text = await fileAt(reader, sha, ".github/loopwright.yml");
  if (text === undefined) return parseRepoConfig({});
  try {
    return parseRepoConfig(parseYaml(text));
  } catch (error) {
    const { config } = parseRepoConfig({});
    return {
      config,
      problems: [
        `.github/loopwright.yml is not valid YAML (${(error as Error).message}); using the defaults`,
      ],
    };
  }
}
