import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { runGit } from "../workspace/git.ts";
import { parseRepositoryUrl } from "../workspace/repository-url.ts";

const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const OWNER_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

function isRepository(folder: string): boolean {
  return existsSync(path.join(folder, ".git")) || existsSync(path.join(folder, "objects"));
}

/**
 * Where a task's repository is: a URL as it is, a path (absolute, or relative to the task set's
 * folder), or SWE-bench's `owner/name` — looked up in `reposDir` as `owner__name`, `owner/name` or
 * `name`, else `https://github.com/owner/name`.
 *
 * @example
 * resolveTaskRepository("django/django", { taskSetDir: ".", reposDir: "/srv/repos" }); // "/srv/repos/django__django" when it exists
 * @throws Error when the repository is a path that does not exist or is not a git repository
 */
export function resolveTaskRepository(
  repo: string,
  where: { taskSetDir: string; reposDir?: string },
): string {
  if (URL_SCHEME.test(repo)) return repo;
  const local = path.resolve(where.taskSetDir, repo);
  if (path.isAbsolute(repo) || existsSync(local)) {
    if (!existsSync(local) || !statSync(local).isDirectory())
      throw new Error(`there is no repository at ${local}`);
    if (!isRepository(local)) throw new Error(`${local} is not a git repository`);
    return local;
  }
  if (OWNER_NAME.test(repo)) {
    const [owner, name] = repo.split("/") as [string, string];
    const candidates = where.reposDir
      ? [`${owner}__${name}`, path.join(owner, name), name].map((folder) =>
          path.resolve(where.reposDir as string, folder),
        )
      : [];
    return (
      candidates.find((folder) => existsSync(folder) && isRepository(folder)) ?? `https://github.com/${repo}`
    );
  }
  throw new Error(`${JSON.stringify(repo)} is neither a URL, an existing path, nor owner/name`);
}

/**
 * The run's own bare copy of a task repository, `<runDir>/repos/<name>-<hash>.git`: the agent's
 * commits are pushed there (never to the source), and scoring checks them out from there. Made
 * once per run folder (a resumed run reuses it), without hooks.
 *
 * @example
 * const remote = await runRepository("/src/app", "runs/gpt-5", signal); // "runs/gpt-5/repos/app-1a2b3c4d5e6f.git"
 * @throws GitError when the clone fails (a URL that cannot be reached, a folder that is not a repository)
 */
export async function runRepository(source: string, runDir: string, signal: AbortSignal): Promise<string> {
  const location = parseRepositoryUrl(source);
  const hash = createHash("sha256").update(source).digest("hex").slice(0, 12);
  const name = `${path
    .basename(location.cacheKey)
    .replace(/\.git$/, "")
    .replace(/-[0-9a-f]{12}$/, "")}-${hash}.git`;
  const target = path.resolve(runDir, "repos", name);
  if (existsSync(path.join(target, "objects"))) return target;
  const temporary = `${target}.partial-${process.pid}`;
  await mkdir(path.dirname(target), { recursive: true });
  await rm(temporary, { recursive: true, force: true });
  try {
    await runGit(["clone", "--bare", "--quiet", "--template=", location.url, temporary], {
      operation: "clone",
      repository: location.display,
      signal,
    });
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    // Another process sharing the folder made the copy first.
    if (existsSync(path.join(target, "objects"))) return target;
    throw error;
  }
  return target;
}

/**
 * Brings a copy made by `runRepository` up to date with its source (branches and tags), for a task
 * whose base commit is newer than the copy.
 *
 * @example
 * if (!(await hasCommit(reader, task.base_commit))) await updateRunRepository(copy, source, signal);
 * @throws GitError when the source cannot be fetched
 */
export async function updateRunRepository(copy: string, source: string, signal: AbortSignal): Promise<void> {
  const location = parseRepositoryUrl(source);
  await runGit(["fetch", "--quiet", location.url, "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"], {
    operation: "fetch",
    repository: location.display,
    cwd: copy,
    signal,
  });
}

/**
 * A bare repository for one task that holds the base commit's history and nothing after it: one
 * branch, `main`, at the base commit, no tags, and (cloned through git's transport, not by copying
 * the object store) no object of a later commit. The agent's workspace comes from it, so neither
 * `git log --all` nor a dangling object shows it the recorded fix. Its agent commits land there too.
 *
 * @example
 * const remote = await taskRepository(runRepo, task.base_commit, "runs/gpt-5/repos/tasks/mini-4f1c2ab93e01.git", signal);
 * @throws GitError when the base commit is not in the run's repository
 */
export async function taskRepository(
  runRepo: string,
  baseCommit: string,
  target: string,
  signal: AbortSignal,
): Promise<string> {
  const git = (operation: string, args: string[], cwd?: string) =>
    runGit(args, { operation, repository: runRepo, cwd, signal });
  const branch = `eval-base-${path
    .basename(target)
    .replace(/\.git$/, "")
    .replace(/[^A-Za-z0-9._-]/g, "_")}`;
  await rm(target, { recursive: true, force: true });
  await mkdir(path.dirname(target), { recursive: true });
  // The ref is this task's alone: a lock left by a run interrupted mid-update (Ctrl-C) is stale.
  await rm(path.join(runRepo, "refs", "heads", `${branch}.lock`), { force: true });
  await git("update-ref", ["update-ref", `refs/heads/${branch}`, baseCommit], runRepo);
  try {
    await git("clone", [
      ...["clone", "--bare", "--quiet", "--no-local", "--single-branch", "--no-tags", "--template="],
      ...["--branch", branch, runRepo, target],
    ]);
  } finally {
    await git("update-ref", ["update-ref", "-d", `refs/heads/${branch}`], runRepo);
  }
  await git("branch", ["branch", "-m", branch, "main"], target);
  await git("remote", ["remote", "remove", "origin"], target);
  return target;
}
