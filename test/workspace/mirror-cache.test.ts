import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MirrorCache } from "../../src/workspace/mirror-cache.ts";
import { createRemote, git, pushCommitTo, removeDir, type TestRemote, tempDir } from "./helpers/git-repos.ts";

let root: string;
let remote: TestRemote;

beforeEach(() => {
  root = tempDir("mirror");
  remote = createRemote(root);
});
afterEach(() => removeDir(root));

const open = (maxBytes = 2 ** 30) => MirrorCache.open({ root: path.join(root, "cache"), maxBytes });

describe("MirrorCache", () => {
  it("clones once, then fetches incrementally into the same mirror", async () => {
    const cache = await open();
    const first = await cache.acquire({ url: remote.path });
    expect(first.cloned).toBe(true);
    const inode = (await import("node:fs")).statSync(path.join(first.path, "objects")).ino;
    await first.release();

    const newSha = pushCommitTo(remote.path, "main", "new.txt", "new\n");
    const second = await cache.acquire({ url: remote.path });
    expect(second.cloned).toBe(false);
    expect(second.fetched).toBe(true);
    expect(second.path).toBe(first.path);
    expect((await import("node:fs")).statSync(path.join(second.path, "objects")).ino).toBe(inode);
    expect(git(second.path, "rev-parse", "refs/heads/main")).toBe(newSha);
    expect(git(second.path, "config", "--get-regexp", ".").includes("token")).toBe(false);
    await second.release();
  });

  it("fetches a pull request head only when asked", async () => {
    const cache = await open();
    const plain = await cache.acquire({ url: remote.path });
    expect(() => git(plain.path, "rev-parse", "--verify", "refs/pull/3/head")).toThrow();
    await plain.release();
    const withPull = await cache.acquire({ url: remote.path, pullRequest: 3 });
    expect(git(withPull.path, "rev-parse", "refs/pull/3/head")).toBe(remote.pullSha);
    await withPull.release();
  });

  it("skips the fetch when the wanted commit is already there", async () => {
    const cache = await open();
    await (await cache.acquire({ url: remote.path })).release();
    const again = await cache.acquire({ url: remote.path, commit: remote.mainSha });
    expect(again.fetched).toBe(false);
    await again.release();
  });

  it("serialises parallel updates of one repository and clones only once", async () => {
    const cache = await open();
    const leases = await Promise.all([1, 2, 3, 4].map(() => cache.acquire({ url: remote.path })));
    expect(leases.filter((lease) => lease.cloned)).toHaveLength(1);
    expect(git(leases[0]!.path, "fsck", "--no-progress", "--no-dangling")).toBe("");
    await Promise.all(leases.map((lease) => lease.release()));
  });

  it("shares one mirror between processes safely", async () => {
    const cacheRoot = path.join(root, "cache");
    const script = `
      const { MirrorCache } = await import(${JSON.stringify(path.resolve("src/workspace/mirror-cache.ts"))});
      const cache = await MirrorCache.open({ root: ${JSON.stringify(cacheRoot)}, maxBytes: 2 ** 30 });
      const lease = await cache.acquire({ url: ${JSON.stringify(remote.path)}, pullRequest: 3 });
      console.log(JSON.stringify({ cloned: lease.cloned }));
      await lease.release();`;
    const runChild = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
          stdio: ["ignore", "pipe", "inherit"],
        });
        let out = "";
        child.stdout.on("data", (chunk) => {
          out += chunk;
        });
        child.on("close", (code) =>
          code === 0 ? resolve(out.trim()) : reject(new Error(`child exited ${code}`)),
        );
      });
    const results = (await Promise.all([runChild(), runChild(), runChild()])).map((line) => JSON.parse(line));
    expect(results.filter((result) => result.cloned)).toHaveLength(1);
    const mirrors = readdirSync(path.join(cacheRoot, "mirrors", "local"));
    expect(mirrors).toHaveLength(1);
    expect(git(path.join(cacheRoot, "mirrors", "local", mirrors[0]!), "rev-parse", "refs/pull/3/head")).toBe(
      remote.pullSha,
    );
  });

  it("evicts least recently used mirrors above the cap, never one in use", async () => {
    const other = createRemote(root, "other.git");
    const third = createRemote(root, "third.git");
    const cache = await open(1);
    const kept = await cache.acquire({ url: remote.path });
    const old = await cache.acquire({ url: other.path });
    await old.release();
    utimesSync(path.join(old.path, "loopwright-last-used"), new Date(2000, 1, 1), new Date(2000, 1, 1));
    const newest = await cache.acquire({ url: third.path });
    // Above a 1-byte cap everything not in use goes, oldest first; the leased mirrors stay.
    expect(existsSync(old.path)).toBe(false);
    expect(existsSync(kept.path)).toBe(true);
    expect(existsSync(newest.path)).toBe(true);
    await kept.release();
    expect(await cache.evict()).toContain(kept.path);
    await newest.release();
  });

  it("sweeps temporary clones, leases and git lock files left by a dead process", async () => {
    const cacheRoot = path.join(root, "cache");
    const cache = await open();
    const lease = await cache.acquire({ url: remote.path });
    await lease.release();
    const deadTmp = path.join(cacheRoot, "tmp", "clone-999999.1-0badc0de");
    mkdirSync(path.join(deadTmp, "objects"), { recursive: true });
    const liveTmp = path.join(cacheRoot, "tmp", "somebody-elses");
    mkdirSync(liveTmp);
    const deadLease = path.join(cacheRoot, "leases", "x", "lease-999999.1-0badc0de");
    mkdirSync(path.dirname(deadLease), { recursive: true });
    writeFileSync(deadLease, "999999\n");
    writeFileSync(path.join(lease.path, "packed-refs.lock"), "");

    const reopened = await open();
    expect(existsSync(deadTmp)).toBe(false);
    expect(existsSync(liveTmp)).toBe(true);
    expect(existsSync(deadLease)).toBe(false);
    expect(existsSync(path.join(lease.path, "packed-refs.lock"))).toBe(false);
    pushCommitTo(remote.path, "main", "after.txt", "x\n");
    await (await reopened.acquire({ url: remote.path })).release();
  });

  it("reports a failed clone with the operation, the repository and git's words", async () => {
    const cache = await open();
    const missing = path.join(root, "missing.git");
    await expect(cache.acquire({ url: missing })).rejects.toThrow(
      new RegExp(`git clone failed on ${missing}.*does not exist`, "s"),
    );
    expect(readdirSync(path.join(root, "cache", "tmp"))).toEqual([]);
  });

  it("refuses bad requests with clear messages", async () => {
    const cache = await open();
    await expect(cache.acquire({ url: "https://tok:en@github.com/a/b" })).rejects.toThrow(/credentials/);
    await expect(cache.acquire({ url: remote.path, pullRequest: -1 })).rejects.toThrow(/pull request number/);
    await expect(cache.acquire({ url: remote.path, commit: "main; rm -rf /" })).rejects.toThrow(
      /hexadecimal/,
    );
    await expect(MirrorCache.open({ root, maxBytes: 0 })).rejects.toThrow(/size cap/);
  });
});
