import { mkdir, readdir, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import lockfile from "proper-lockfile";
import { privateDirectory } from "../config/private-directory.ts";
import type { Logger } from "../logger.ts";
import { GitError, runGit } from "./git.ts";
import { retryTransientGit } from "./git-retry.ts";
import { once } from "./once.ts";
import { ownedName, ownerIsAlive } from "./owned-names.ts";
import { parseRepositoryUrl, type RepositoryLocation } from "./repository-url.ts";
import { spawnLean } from "./spawn-helper.ts";

/** The git operations that reach the remote. */
const NETWORK_OPERATIONS = new Set(["clone", "fetch"]);

export type MirrorCacheOptions = {
  /** Folder holding mirrors/, locks/, leases/ and tmp/ (e.g. `<dataDir>/cache`). */
  root: string;
  /** Size cap; least recently used mirrors that no task is using are evicted above it. */
  maxBytes: number;
  /** How long to wait for another task or process updating the same mirror (default 15 minutes). */
  lockWaitMs?: number;
  /** Limit for one clone or fetch (default 10 minutes). */
  gitTimeoutMs?: number;
  logger?: Logger;
};

export type MirrorRequest = {
  /** https URL of the repository (or file:// / an absolute path); never with credentials. */
  url: string;
  /** Installation token for this clone or fetch only. */
  token?: string;
  /** Also fetch `refs/pull/N/head`. */
  pullRequest?: number;
  /** A commit the caller needs; when the mirror already has it, no fetch is made. */
  commit?: string;
  /** The repository's default branch as GitHub reports it; keeps the mirror's HEAD in step. */
  defaultBranch?: string;
  signal?: AbortSignal;
};

/** A mirror that stays on disk (not evicted) until `release()`. */
export type MirrorLease = {
  /** The bare mirror repository. */
  path: string;
  location: RepositoryLocation;
  /** True when this call cloned the repository, false when the mirror existed. */
  cloned: boolean;
  /** True when this call fetched from the remote. */
  fetched: boolean;
  /** Another lease on the same mirror, released independently (for things that outlive this one). */
  retain(): Promise<MirrorLease>;
  release(): Promise<void>;
};

export type SweepReport = { removed: string[] };

const LOCK_STALE_MS = 20_000;
const LAST_USED_FILE = "loopwright-last-used";

/**
 * A per-host cache of bare mirrors, one per repository, shared by every worker process on the host.
 * Updating a mirror (clone or fetch) happens under a cross-process lock for that repository; using
 * it (reading objects) needs no lock, only a lease that keeps eviction away.
 *
 * @example
 * const cache = await MirrorCache.open({ root: "/data/cache", maxBytes: 10 * 2 ** 30 });
 * const mirror = await cache.acquire({ url: "https://github.com/acme/app", token, pullRequest: 7 });
 * try { … use mirror.path … } finally { await mirror.release(); }
 */
export class MirrorCache {
  readonly root: string;
  readonly #maxBytes: number;
  readonly #lockWaitMs: number;
  readonly #gitTimeoutMs: number;
  readonly #logger: Logger | undefined;

  private constructor(options: MirrorCacheOptions) {
    this.root = path.resolve(options.root);
    this.#maxBytes = options.maxBytes;
    this.#lockWaitMs = options.lockWaitMs ?? 15 * 60_000;
    this.#gitTimeoutMs = options.gitTimeoutMs ?? 10 * 60_000;
    this.#logger = options.logger;
  }

  /**
   * Creates the cache folders, sweeps what crashed processes left behind and evicts down to the cap.
   *
   * @example
   * const cache = await MirrorCache.open({ root: path.join(settings.dataDir, "cache"), maxBytes });
   */
  static async open(options: MirrorCacheOptions): Promise<MirrorCache> {
    if (!Number.isFinite(options.maxBytes) || options.maxBytes <= 0) {
      throw new Error(`mirror cache size cap must be a positive number of bytes, got ${options.maxBytes}`);
    }
    const cache = new MirrorCache(options);
    privateDirectory(cache.root);
    for (const folder of ["mirrors", "locks", "leases", "tmp"]) {
      await mkdir(path.join(cache.root, folder), { recursive: true });
    }
    await cache.sweep();
    await cache.evict();
    return cache;
  }

  /** Where the mirror of `url` lives (whether or not it exists yet). */
  mirrorPath(url: string): string {
    return path.join(this.root, "mirrors", parseRepositoryUrl(url).cacheKey);
  }

  /**
   * Brings the mirror of a repository up to date — cloning it the first time, fetching
   * incrementally afterwards — and leases it so it is not evicted while in use.
   *
   * @example
   * const mirror = await cache.acquire({ url, token, pullRequest: 12 });
   * await mirror.release();
   * @throws GitError when the clone or fetch fails; Error when the lock cannot be had in time
   */
  async acquire(request: MirrorRequest): Promise<MirrorLease> {
    const location = parseRepositoryUrl(request.url);
    if (
      request.pullRequest !== undefined &&
      !(Number.isInteger(request.pullRequest) && request.pullRequest > 0)
    ) {
      throw new Error(`pull request number must be a positive whole number, got ${request.pullRequest}`);
    }
    if (request.commit !== undefined && !/^[0-9a-f]{7,64}$/i.test(request.commit)) {
      throw new Error(`commit must be a hexadecimal object id, got ${JSON.stringify(request.commit)}`);
    }
    const mirror = path.join(this.root, "mirrors", location.cacheKey);
    const unlock = await this.#lock(location, mirror, request.signal);
    let lease: MirrorLease;
    try {
      const exists = await isDirectory(path.join(mirror, "objects"));
      if (!exists) await this.#clone(location, mirror, request);
      const fetched = !exists || (await this.#fetchIfNeeded(location, mirror, request));
      if (fetched) await shareObjects(mirror);
      if (request.defaultBranch !== undefined) await this.#setHead(location, mirror, request.defaultBranch);
      const now = new Date();
      await writeFile(path.join(mirror, LAST_USED_FILE), "");
      await utimes(path.join(mirror, LAST_USED_FILE), now, now);
      lease = await this.#lease(location, mirror, !exists, fetched);
    } finally {
      await unlock();
    }
    if (lease.cloned)
      await this.evict().catch((error) => this.#logger?.warn({ err: error }, "mirror eviction failed"));
    return lease;
  }

  /**
   * Removes leftovers of processes that are no longer running: half-made clones, leases, and git's
   * own `*.lock` files inside mirrors nobody is updating (a git killed mid-fetch leaves them behind
   * and they would block every later fetch).
   *
   * @example
   * const { removed } = await cache.sweep();
   */
  async sweep(): Promise<SweepReport> {
    const removed: string[] = [];
    for (const entry of await readdirSafe(path.join(this.root, "tmp"))) {
      if (ownerIsAlive(entry)) continue;
      await rm(path.join(this.root, "tmp", entry), { recursive: true, force: true });
      removed.push(path.join(this.root, "tmp", entry));
    }
    for (const folder of await readdirSafe(path.join(this.root, "leases"))) {
      for (const entry of await readdirSafe(path.join(this.root, "leases", folder))) {
        if (ownerIsAlive(entry)) continue;
        await rm(path.join(this.root, "leases", folder, entry), { force: true });
        removed.push(path.join(this.root, "leases", folder, entry));
      }
    }
    for (const mirror of await this.#listMirrors()) {
      const unlock = await this.#tryLock(mirror.key);
      if (!unlock) continue;
      try {
        for (const file of await findGitLockFiles(mirror.path)) {
          await rm(file, { force: true });
          removed.push(file);
        }
      } finally {
        await unlock();
      }
    }
    if (removed.length > 0) this.#logger?.info({ removed }, "swept leftovers of stopped processes");
    return { removed };
  }

  /**
   * Deletes least recently used mirrors until the cache fits its cap, skipping mirrors being
   * updated (locked) or leased to a running task. Returns the deleted mirrors' paths.
   *
   * @example
   * const evicted = await cache.evict();
   */
  async evict(): Promise<string[]> {
    const mirrors = await this.#listMirrors();
    let total = mirrors.reduce((sum, mirror) => sum + mirror.bytes, 0);
    const evicted: string[] = [];
    for (const mirror of mirrors.sort((a, b) => a.lastUsed - b.lastUsed)) {
      if (total <= this.#maxBytes) break;
      const unlock = await this.#tryLock(mirror.key);
      if (!unlock) continue;
      try {
        if (await this.#hasLiveLeases(mirror.key)) continue;
        // Renaming first makes the removal atomic for readers: the mirror is there whole or not at all.
        const doomed = path.join(this.root, "tmp", ownedName("evict"));
        await rename(mirror.path, doomed);
        await rm(doomed, { recursive: true, force: true });
        total -= mirror.bytes;
        evicted.push(mirror.path);
      } finally {
        await unlock();
      }
    }
    if (evicted.length > 0)
      this.#logger?.info({ evicted, totalBytes: total }, "evicted least recently used mirrors");
    return evicted;
  }

  /** Total bytes of all mirrors. */
  async sizeBytes(): Promise<number> {
    return (await this.#listMirrors()).reduce((sum, mirror) => sum + mirror.bytes, 0);
  }

  async #clone(location: RepositoryLocation, mirror: string, request: MirrorRequest): Promise<void> {
    // Clone into tmp/ and rename: a crash mid-clone leaves a tmp folder the next sweep removes,
    // never a half-made mirror that looks real.
    const temporary = path.join(this.root, "tmp", ownedName("clone"));
    this.#logger?.info({ repository: location.display }, "cloning mirror");
    try {
      // Readable objects whatever the umask: a sandboxed uid borrows them through the workspace's alternates
      // (the cache folder itself stays private to this user; only the sandbox sees the objects, read-only).
      await this.#git(["clone", "--bare", "--quiet", location.url, temporary], "clone", location, request);
      // Objects a running workspace borrows (clone --shared) must never be pruned from under it, and
      // an automatic gc must finish inside the fetch that started it, while the lock is still held.
      await this.#git(["config", "gc.pruneExpire", "never"], "config", location, {}, temporary);
      await this.#git(["config", "gc.autoDetach", "false"], "config", location, {}, temporary);
      if (request.pullRequest !== undefined) {
        await this.#git(
          ["fetch", "--quiet", location.url, pullRefspec(request.pullRequest)],
          "fetch",
          location,
          request,
          temporary,
        );
      }
      await mkdir(path.dirname(mirror), { recursive: true });
      await rename(temporary, mirror);
    } catch (error) {
      await rm(temporary, { recursive: true, force: true });
      throw error;
    }
  }

  async #fetchIfNeeded(
    location: RepositoryLocation,
    mirror: string,
    request: MirrorRequest,
  ): Promise<boolean> {
    if (request.commit !== undefined && request.pullRequest === undefined) {
      if (await hasCommit(mirror, request.commit)) return false;
    }
    const refspecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];
    if (request.pullRequest !== undefined) refspecs.push(pullRefspec(request.pullRequest));
    await this.#git(
      ["fetch", "--prune", "--quiet", location.url, ...refspecs],
      "fetch",
      location,
      request,
      mirror,
    );
    return true;
  }

  async #setHead(location: RepositoryLocation, mirror: string, branch: string): Promise<void> {
    await this.#git(["check-ref-format", "--branch", branch], "check-ref-format", location, {}, mirror);
    await this.#git(["symbolic-ref", "HEAD", `refs/heads/${branch}`], "symbolic-ref", location, {}, mirror);
  }

  #git(
    args: string[],
    operation: string,
    location: RepositoryLocation,
    request: Pick<MirrorRequest, "token" | "signal">,
    cwd?: string,
  ) {
    const run = () =>
      runGit(args, {
        operation,
        repository: location.display,
        cwd,
        token: request.token,
        signal: request.signal,
        timeoutMs: this.#gitTimeoutMs,
      });
    // Clones and fetches talk to GitHub, whose git endpoints fail now and then: those are tried again.
    return NETWORK_OPERATIONS.has(operation) ? retryTransientGit(run, { signal: request.signal }) : run();
  }

  #lockOptions(key: string) {
    return {
      realpath: false,
      stale: LOCK_STALE_MS,
      lockfilePath: path.join(this.root, "locks", `${encodeURIComponent(key)}.lock`),
      onCompromised: (error: Error) =>
        this.#logger?.warn({ err: error, repository: key }, "mirror lock was taken over while held"),
    };
  }

  async #tryLock(key: string): Promise<(() => Promise<void>) | undefined> {
    try {
      return await lockfile.lock(path.join(this.root, "mirrors", key), this.#lockOptions(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ELOCKED") return undefined;
      throw error;
    }
  }

  async #lock(
    location: RepositoryLocation,
    mirror: string,
    signal?: AbortSignal,
  ): Promise<() => Promise<void>> {
    const deadline = Date.now() + this.#lockWaitMs;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted)
        throw new Error(`gave up waiting for the cache lock of ${location.display}: aborted`);
      const unlock = await this.#tryLock(location.cacheKey);
      if (unlock) return unlock;
      if (Date.now() >= deadline) {
        throw new Error(
          `timed out after ${this.#lockWaitMs} ms waiting for the cache lock of ${location.display} (${mirror} is being updated by another task)`,
        );
      }
      await sleep(Math.min(50 * 2 ** Math.min(attempt, 4), 500));
    }
  }

  async #lease(
    location: RepositoryLocation,
    mirror: string,
    cloned: boolean,
    fetched: boolean,
  ): Promise<MirrorLease> {
    const folder = path.join(this.root, "leases", encodeURIComponent(location.cacheKey));
    await mkdir(folder, { recursive: true });
    const file = path.join(folder, ownedName("lease"));
    await writeFile(file, `${process.pid}\n`);
    return {
      path: mirror,
      location,
      cloned,
      fetched,
      retain: () => this.#lease(location, mirror, false, false),
      release: once(() => rm(file, { force: true })),
    };
  }

  async #hasLiveLeases(key: string): Promise<boolean> {
    const folder = path.join(this.root, "leases", encodeURIComponent(key));
    return (await readdirSafe(folder)).some((entry) => ownerIsAlive(entry));
  }

  async #listMirrors(): Promise<{ key: string; path: string; bytes: number; lastUsed: number }[]> {
    const mirrorsRoot = path.join(this.root, "mirrors");
    const found: { key: string; path: string; bytes: number; lastUsed: number }[] = [];
    const visit = async (folder: string): Promise<void> => {
      for (const entry of await readdirSafe(folder)) {
        const full = path.join(folder, entry);
        if (!(await isDirectory(full))) continue;
        if (!entry.endsWith(".git")) {
          await visit(full);
          continue;
        }
        const used = await stat(path.join(full, LAST_USED_FILE)).catch(() => stat(full));
        found.push({
          key: path.relative(mirrorsRoot, full).split(path.sep).join("/"),
          path: full,
          bytes: await folderBytes(full),
          lastUsed: used.mtimeMs,
        });
      }
    };
    await visit(mirrorsRoot);
    return found;
  }
}

function pullRefspec(pullRequest: number): string {
  return `+refs/pull/${pullRequest}/head:refs/pull/${pullRequest}/head`;
}

async function hasCommit(mirror: string, commit: string): Promise<boolean> {
  try {
    await runGit(["cat-file", "-e", `${commit}^{commit}`], {
      operation: "cat-file",
      repository: mirror,
      cwd: mirror,
    });
    return true;
  } catch (error) {
    if (error instanceof GitError) return false;
    throw error;
  }
}

async function readdirSafe(folder: string): Promise<string[]> {
  try {
    return await readdir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

async function isDirectory(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isDirectory() ?? false;
}

async function folderBytes(folder: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    total += (await stat(path.join(entry.parentPath, entry.name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

/** git's own lock files (`packed-refs.lock`, `refs/heads/x.lock`, `index.lock`, `shallow.lock`…). */
async function findGitLockFiles(mirror: string): Promise<string[]> {
  const entries = await readdir(mirror, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(".lock"))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/**
 * Makes a mirror's objects readable whatever the umask: a sandbox's unprivileged uid borrows them
 * read-only through its workspace's alternates. The cache folder itself stays private to this
 * user, so only sandboxes, which have the objects folder bound in, can reach them.
 */
function shareObjects(mirror: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnLean("chmod", ["-R", "a+rX", "--", path.join(mirror, "objects")]);
    // Drained, so a flood of messages cannot fill the pipes and stall it; the exit code says enough.
    child.stdout.resume();
    child.stderr.resume();
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`could not make the objects of ${mirror} readable (chmod exited ${code})`)),
    );
  });
}
