import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openFolderSnapshots } from "../../src/workspace/folder-snapshots.ts";

describe("folder snapshots", () => {
  let folder: string;
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it("tells the files changed between two moments, leaving the folder's own git state alone", async () => {
    folder = mkdtempSync(path.join(os.tmpdir(), "lw-snapshots-"));
    const git = (...args: string[]) => execFileSync("git", args, { cwd: folder, encoding: "utf8" });
    git("init", "--quiet");
    writeFileSync(path.join(folder, "a.txt"), "one\ntwo\n");
    writeFileSync(path.join(folder, ".gitignore"), "*.log\n");
    git("add", ".");
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "first");
    writeFileSync(path.join(folder, "a.txt"), "one\ntwo, edited before\n");
    const indexBefore = readFileSync(path.join(folder, ".git", "index"));

    const snapshots = await openFolderSnapshots(folder);
    try {
      const before = await snapshots.take();
      writeFileSync(path.join(folder, "a.txt"), "one\ntwo, edited before\nthree\n");
      writeFileSync(path.join(folder, "new.txt"), "new\n");
      writeFileSync(path.join(folder, "debug.log"), "ignored\n");
      const after = await snapshots.take();
      expect(await snapshots.changes(before, after)).toEqual([
        { path: "a.txt", added: 1, removed: 0 },
        { path: "new.txt", added: 1, removed: 0 },
      ]);
    } finally {
      await snapshots.close();
    }
    expect(readFileSync(path.join(folder, ".git", "index"))).toEqual(indexBefore);
    expect(git("status", "--porcelain")).toBe(" M a.txt\n?? new.txt\n");
  });

  it("works in a folder that is not a git repository", async () => {
    folder = mkdtempSync(path.join(os.tmpdir(), "lw-snapshots-"));
    writeFileSync(path.join(folder, "a.txt"), "one\n");
    const snapshots = await openFolderSnapshots(folder);
    try {
      const before = await snapshots.take();
      rmSync(path.join(folder, "a.txt"));
      expect(await snapshots.changes(before, await snapshots.take())).toEqual([
        { path: "a.txt", added: 0, removed: 1 },
      ]);
    } finally {
      await snapshots.close();
    }
  });
});
