import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { privateDirectory } from "../config/private-directory.ts";
import type { Logger } from "../logger.ts";
import { GitError, runGit } from "./git.ts";
import { MirrorCache, type MirrorLease } from "./mirror-cache.ts";
import { once } from "./once.ts";
import { ownedName, ownerIsAlive } from "./owned-names.ts";
import { SpareTrees } from "./spare-trees.ts";
import { buildWorkingTree, startTaskBranch } from "./working-tree.ts";

/** Where a task starts from. */
export type CheckoutTarget =
  | { kind: "default" }
  | { kind: "branch"; name: string }
  | { kind: "commit"; sha: string }
  | { kind: "pull"; number: number };

export type WorkspaceRequest = {
  /** https URL of the repository (file:// or an absolute path for local repositories). */
  url: string;
  /** Installation token, used for the fetch only; it never enters the workspace. */
  token?: string;
  target: CheckoutTarget;
  /** The task branch, e.g. `fix-issue-12`; the prefix is added unless the name already has it. */
  branch: string;
  /** Branches Loopwright may push to start with this (default `agent/`). */
  branchPrefix?: string;
  /** The repository's default branch as GitHub reports it (keeps the mirror's HEAD right). */
  defaultBranch?: string;
  /** An earlier attempt of this same task created the branch, so it counts as created by this task. */
  branchOwned?: boolean;
  signal?: AbortSignal;
};

/** A task's working tree. Always `dispose()` it (or `await using` it). */
export type Workspace = {
  /** The working tree the model works in — the only folder its sandbox may write. */
  path: string;
  /**
   * The mirror's object store, which the working tree's `.git` borrows objects from (alternates).
   * The sandbox must make it readable (read-only) for git to work inside the workspace.
   */
  sharedObjects: string;
  /**
   * The bare mirror the workspace was made from (Loopwright's own, never model-writable): host-side
   * reads of commits and diffs go there, never through the workspace's `.git`.
   */
  mirrorPath: string;
  /**
   * Loopwright's own git directory for this workspace, outside the working tree and out of the
   * model's reach; commits and pushes go through it, never through the model-writable `.git`.
   */
  hostGitDir: string;
  url: string;
  /** How messages name the repository. */
  repository: string;
  /** The full task branch name, e.g. `agent/fix-issue-12`. */
  branch: string;
  branchPrefix: string;
  /** The commit the workspace started from. */
  baseSha: string;
  /** True when the task branch did not exist on the remote: only then may it be force-pushed. */
  createdBranch: boolean;
  /** True when the tree was a spare built in the background (see SpareTrees), false when built now. */
  fromSpare: boolean;
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

export type WorkspacesOptions = {
  /** Loopwright's data folder; workspaces go to `<dataDir>/workspaces`, mirrors to `<dataDir>/cache`. */
  dataDir: string;
  /** Mirror cache size cap in bytes. */
  cacheMaxBytes: number;
  logger?: Logger;
  lockWaitMs?: number;
  gitTimeoutMs?: number;
  /** Keep a ready-made spare working tree for this many recently used repositories (default 4; 0: none). */
  spareTrees?: number;
};

export const DEFAULT_BRANCH_PREFIX = "agent/";

/**
 * Creates task workspaces from the host's mirror cache.
 *
 * Each workspace is a `git clone --shared` of the mirror: its own `.git` (config, refs, index,
 * hooks) whose only link to the mirror is a read-only alternates entry, so the model can wreck its
 * own `.git` but not the mirror or another task. (`git worktree add` is about as fast but keeps the
 * worktree's HEAD, index and config inside the mirror, which the model would then have to be able
 * to write: one `git config core.fsmonitor …` would run code in the next host-side git command.)
 *
 * @example
 * const workspaces = await Workspaces.open({ dataDir: settings.dataDir, cacheMaxBytes: 10 * 2 ** 30 });
 * await using ws = await workspaces.create({ url, token, target: { kind: "pull", number: 7 }, branch: "review-7" });
 * // … run the agent in ws.path …
 */
export class Workspaces {
  readonly cache: MirrorCache;
  readonly root: string;
  readonly #logger: Logger | undefined;
  readonly #gitTimeoutMs: number | undefined;
  readonly #spares: SpareTrees;

  private constructor(cache: MirrorCache, root: string, options: WorkspacesOptions) {
    this.cache = cache;
    this.root = root;
    this.#logger = options.logger;
    this.#gitTimeoutMs = options.gitTimeoutMs;
    this.#spares = new SpareTrees(root, options.spareTrees ?? 4, options.logger, options.gitTimeoutMs);
  }

  /**
   * Opens the mirror cache and the workspaces folder, sweeping leftovers of crashed processes.
   *
   * @example
   * const workspaces = await Workspaces.open({ dataDir: "/var/lib/loopwright", cacheMaxBytes: 2 ** 33 });
   */
  static async open(options: WorkspacesOptions): Promise<Workspaces> {
    const dataDir = privateDirectory(options.dataDir);
    const cache = await MirrorCache.open({
      root: path.join(dataDir, "cache"),
      maxBytes: options.cacheMaxBytes,
      logger: options.logger,
      lockWaitMs: options.lockWaitMs,
      gitTimeoutMs: options.gitTimeoutMs,
    });
    const root = privateDirectory(path.join(dataDir, "workspaces"));
    const workspaces = new Workspaces(cache, root, options);
    await workspaces.sweep();
    return workspaces;
  }

  /**
   * Resolves when no spare working tree is being built in the background.
   *
   * @example
   * await workspaces.idle();
   */
  idle(): Promise<void> {
    return this.#spares.idle();
  }

  /**
   * Stops background work and removes the spare working trees. Workspaces still in use stay
   * until disposed.
   *
   * @example
   * process.once("SIGTERM", () => workspaces.close());
   */
  close(): Promise<void> {
    return this.#spares.close();
  }

  /**
   * Removes workspaces whose process is no longer running. Returns the removed paths.
   *
   * @example
   * await workspaces.sweep();
   */
  async sweep(): Promise<string[]> {
    const removed: string[] = [];
    for (const entry of await readdir(this.root)) {
      if (ownerIsAlive(entry)) continue;
      await rm(path.join(this.root, entry), { recursive: true, force: true });
      removed.push(path.join(this.root, entry));
    }
    if (removed.length > 0) this.#logger?.info({ removed }, "swept workspaces of stopped processes");
    return removed;
  }

  /**
   * Updates the mirror, then creates a working tree at the target with the task branch checked out.
   * On any failure everything made so far is removed before the error is thrown.
   *
   * @example
   * const ws = await workspaces.create({ url, token, target: { kind: "default" }, branch: "fix-issue-12" });
   * try { … } finally { await ws.dispose(); }
   * @throws Error for bad input (branch names, missing refs), GitError when git fails
   */
  async create(request: WorkspaceRequest): Promise<Workspace> {
    if (typeof request !== "object" || request === null)
      throw new Error("workspace request must be an object");
    const prefix = request.branchPrefix ?? DEFAULT_BRANCH_PREFIX;
    const branch = await taskBranchName(request.branch, prefix);
    const target = checkTarget(request.target);
    const mirror = await this.cache.acquire({
      url: request.url,
      token: request.token,
      pullRequest: target.kind === "pull" ? target.number : undefined,
      commit: target.kind === "commit" ? target.sha : undefined,
      defaultBranch: request.defaultBranch,
      signal: request.signal,
    });
    const folder = path.join(this.root, ownedName("ws"));
    const dispose = once(async () => {
      await rm(folder, { recursive: true, force: true });
      await mirror.release();
    });
    try {
      return await this.#populate(folder, mirror, request, target, branch, prefix, dispose);
    } catch (error) {
      await dispose();
      throw error;
    }
  }

  async #populate(
    folder: string,
    mirror: MirrorLease,
    request: WorkspaceRequest,
    target: CheckoutTarget,
    branch: string,
    prefix: string,
    dispose: () => Promise<void>,
  ): Promise<Workspace> {
    const repository = mirror.location.display;
    const git = (operation: string, args: string[], cwd?: string) =>
      runGit(args, { operation, repository, cwd, signal: request.signal, timeoutMs: this.#gitTimeoutMs });
    const baseSha = await resolveTarget(mirror, target);
    if (branch === (await defaultBranchOf(mirror))) {
      throw new Error(`task branch ${branch} is the default branch of ${repository}; choose another name`);
    }
    const createdBranch = request.branchOwned === true || !(await refExists(mirror, `refs/heads/${branch}`));

    const tree = path.join(folder, "tree");
    const hostGitDir = path.join(folder, "host.git");
    await mkdir(folder, { recursive: true });
    const treeOptions = { repository, signal: request.signal, timeoutMs: this.#gitTimeoutMs };
    const fromSpare = await this.#spares.take(mirror.path, tree);
    if (!fromSpare) await buildWorkingTree(mirror.path, request.url, tree, baseSha, treeOptions);
    await startTaskBranch(mirror.path, tree, branch, baseSha, {
      ...treeOptions,
      url: request.url,
      refreshRefs: fromSpare,
    });
    this.#spares.refill(mirror, request.url);

    // The host git dir: no hooks (empty template), borrows objects from the mirror, and keeps the
    // task branch Loopwright commits to. Its index is rebuilt from HEAD at each commit.
    await git("init", ["init", "--bare", "--quiet", "--template=", hostGitDir]);
    await git("config", ["config", "core.bare", "false"], hostGitDir);
    await writeFile(
      path.join(hostGitDir, "objects", "info", "alternates"),
      `${path.join(mirror.path, "objects")}\n`,
    );
    await git("update-ref", ["update-ref", `refs/heads/${branch}`, baseSha], hostGitDir);
    await git("symbolic-ref", ["symbolic-ref", "HEAD", `refs/heads/${branch}`], hostGitDir);

    this.#logger?.info({ repository, branch, baseSha, workspace: tree, fromSpare }, "workspace ready");
    return {
      path: tree,
      sharedObjects: path.join(mirror.path, "objects"),
      mirrorPath: mirror.path,
      hostGitDir,
      url: request.url,
      repository,
      branch,
      branchPrefix: prefix,
      baseSha,
      createdBranch,
      fromSpare,
      dispose,
      [Symbol.asyncDispose]: dispose,
    };
  }
}

/**
 * Runs `work` in a fresh workspace and removes the workspace afterwards, whatever happens.
 *
 * @example
 * const sha = await withWorkspace(workspaces, request, async (ws) => (await commitAndPush(ws, …)).sha);
 */
export async function withWorkspace<T>(
  workspaces: Workspaces,
  request: WorkspaceRequest,
  work: (workspace: Workspace) => Promise<T>,
): Promise<T> {
  const workspace = await workspaces.create(request);
  try {
    return await work(workspace);
  } finally {
    await workspace.dispose();
  }
}

/**
 * The full task branch name: `prefix + name` unless `name` already starts with the prefix.
 *
 * @example
 * await taskBranchName("fix-issue-12", "agent/"); // "agent/fix-issue-12"
 * @throws Error when the prefix is empty or the result is not a valid branch name
 */
export async function taskBranchName(name: string, prefix: string): Promise<string> {
  if (typeof prefix !== "string" || prefix.trim() === "") {
    throw new Error("branch prefix must not be empty: it is what keeps pushes away from other branches");
  }
  if (typeof name !== "string" || name.trim() === "") throw new Error("task branch name is empty");
  const full = name.startsWith(prefix) ? name : `${prefix}${name}`;
  if (full === prefix)
    throw new Error(`task branch name ${JSON.stringify(name)} has nothing after the prefix`);
  try {
    await runGit(["check-ref-format", "--branch", full], { operation: "check-ref-format", repository: full });
  } catch {
    throw new Error(`${JSON.stringify(full)} is not a valid git branch name`);
  }
  return full;
}

function checkTarget(target: CheckoutTarget): CheckoutTarget {
  switch (target?.kind) {
    case "default":
      return target;
    case "branch":
      if (typeof target.name !== "string" || target.name.trim() === "")
        throw new Error("target branch name is empty");
      return target;
    case "commit":
      if (typeof target.sha !== "string" || !/^[0-9a-f]{7,64}$/i.test(target.sha)) {
        throw new Error(`target commit must be a hexadecimal object id, got ${JSON.stringify(target.sha)}`);
      }
      return target;
    case "pull":
      if (!Number.isInteger(target.number) || target.number <= 0) {
        throw new Error(`target pull request number must be a positive whole number, got ${target.number}`);
      }
      return target;
    default:
      throw new Error(
        `unknown checkout target ${JSON.stringify(target)}; expected kind default, branch, commit or pull`,
      );
  }
}

async function resolveTarget(mirror: MirrorLease, target: CheckoutTarget): Promise<string> {
  const [ref, described] =
    target.kind === "default"
      ? ["HEAD", "the default branch"]
      : target.kind === "branch"
        ? [`refs/heads/${target.name}`, `branch ${target.name}`]
        : target.kind === "commit"
          ? [target.sha, `commit ${target.sha}`]
          : [`refs/pull/${target.number}/head`, `pull request #${target.number}`];
  try {
    const { stdout } = await runGit(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], {
      operation: "rev-parse",
      repository: mirror.location.display,
      cwd: mirror.path,
    });
    return stdout.trim();
  } catch (error) {
    if (error instanceof GitError)
      throw new Error(`${described} does not exist in ${mirror.location.display}`);
    throw error;
  }
}

async function refExists(mirror: MirrorLease, ref: string): Promise<boolean> {
  try {
    await runGit(["show-ref", "--verify", "--quiet", ref], {
      operation: "show-ref",
      repository: mirror.location.display,
      cwd: mirror.path,
    });
    return true;
  } catch (error) {
    if (error instanceof GitError) return false;
    throw error;
  }
}

async function defaultBranchOf(mirror: MirrorLease): Promise<string | undefined> {
  try {
    const { stdout } = await runGit(["symbolic-ref", "--short", "HEAD"], {
      operation: "symbolic-ref",
      repository: mirror.location.display,
      cwd: mirror.path,
    });
    return stdout.trim();
  } catch (error) {
    if (error instanceof GitError) return undefined;
    throw error;
  }
}
