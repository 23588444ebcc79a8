import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../logger.ts";
import { runGit } from "./git.ts";
import type { MirrorLease } from "./mirror-cache.ts";
import { ownedName } from "./owned-names.ts";
import { buildWorkingTree } from "./working-tree.ts";

type Spare = { folder: string; lease?: MirrorLease; ready: boolean };

/**
 * One ready-made working tree per recently used repository, built in the background after a task
 * takes the previous one. Writing thousands of files is most of a workspace's setup time; with a
 * spare ready, a task's setup only rewrites the files that differ from the spare's commit.
 * A spare is never shown to a model until a single task takes it (it is moved, not shared).
 */
export class SpareTrees {
  readonly #root: string;
  readonly #maxRepositories: number;
  readonly #logger: Logger | undefined;
  readonly #gitTimeoutMs: number | undefined;
  /** By mirror path, least recently used first. */
  readonly #spares = new Map<string, Spare>();
  readonly #building = new Set<Promise<void>>();
  #closed = false;

  constructor(root: string, maxRepositories: number, logger?: Logger, gitTimeoutMs?: number) {
    this.#root = root;
    this.#maxRepositories = maxRepositories;
    this.#logger = logger;
    this.#gitTimeoutMs = gitTimeoutMs;
  }

  /**
   * Moves the ready spare of `mirror` to `tree` and returns true, or returns false when there is
   * none ready (one still being built is left alone: building afresh is no slower than waiting).
   *
   * @example
   * if (!(await spares.take(mirror.path, tree))) await buildWorkingTree(…);
   */
  async take(mirror: string, tree: string): Promise<boolean> {
    const spare = this.#spares.get(mirror);
    if (!spare?.ready) return false;
    this.#spares.delete(mirror);
    try {
      await rename(path.join(spare.folder, "tree"), tree);
      return true;
    } catch (error) {
      this.#logger?.warn({ err: error, mirror }, "could not take the spare working tree; building one");
      return false;
    } finally {
      await this.#discard(spare);
    }
  }

  /**
   * Starts building a spare for the lease's mirror at its default branch, unless one exists.
   * Never throws: a failed spare only means the next task builds its tree itself.
   *
   * @example
   * spares.refill(mirror, "https://github.com/acme/app");
   */
  refill(mirror: MirrorLease, url: string): void {
    if (this.#closed || this.#maxRepositories === 0 || this.#spares.has(mirror.path)) return;
    const spare: Spare = { folder: path.join(this.#root, ownedName("spare")), ready: false };
    this.#spares.set(mirror.path, spare);
    const building = this.#build(spare, mirror, url).finally(() => this.#building.delete(building));
    this.#building.add(building);
  }

  /** Resolves when no spare is being built. */
  async idle(): Promise<void> {
    while (this.#building.size > 0) await Promise.all([...this.#building]);
  }

  /** Stops building spares and removes them all. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.idle();
    const spares = [...this.#spares.values()];
    this.#spares.clear();
    await Promise.all(spares.map((spare) => this.#discard(spare)));
  }

  async #build(spare: Spare, caller: MirrorLease, url: string): Promise<void> {
    const mirror = caller.path;
    try {
      // Our own lease, so the caller's may end while we build and the mirror stays.
      spare.lease = await caller.retain();
      const repository = caller.location.display;
      const { stdout } = await runGit(["rev-parse", "--verify", "HEAD^{commit}"], {
        operation: "rev-parse",
        repository,
        cwd: mirror,
      });
      await mkdir(spare.folder, { recursive: true });
      await buildWorkingTree(mirror, url, path.join(spare.folder, "tree"), stdout.trim(), {
        repository,
        timeoutMs: this.#gitTimeoutMs,
      });
      if (this.#spares.get(mirror) !== spare || this.#closed) {
        await this.#discard(spare);
        return;
      }
      spare.ready = true;
      // Most recently refilled last; beyond the cap, the least recently used repository's spare goes.
      this.#spares.delete(mirror);
      this.#spares.set(mirror, spare);
      for (const [key, oldest] of this.#spares) {
        if (this.#spares.size <= this.#maxRepositories) break;
        this.#spares.delete(key);
        await this.#discard(oldest);
      }
    } catch (error) {
      this.#logger?.warn({ err: error, mirror }, "could not build a spare working tree");
      if (this.#spares.get(mirror) === spare) this.#spares.delete(mirror);
      await this.#discard(spare);
    }
  }

  async #discard(spare: Spare): Promise<void> {
    await rm(spare.folder, { recursive: true, force: true });
    await spare.lease?.release();
  }
}
