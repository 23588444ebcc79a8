import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { privateDirectory } from "../../src/config/private-directory.ts";
import { openDatabase } from "../../src/store/database.ts";

const mode = (file: string) => statSync(file).mode & 0o777;

describe("the data folder is private to the server's user", () => {
  it("creates folders 0700 and tightens existing ones", () => {
    const base = mkdtempSync(path.join(os.tmpdir(), "lw-private-"));
    const existing = path.join(base, "open");
    mkdirSync(existing, { mode: 0o777 });
    chmodSync(existing, 0o777);
    expect(mode(privateDirectory(existing))).toBe(0o700);
    expect(mode(privateDirectory(path.join(base, "new", "nested")))).toBe(0o700);
  });

  it("refuses, unchanged, a folder that is not Loopwright's own: shared, the home folder, the root", async () => {
    const shared = mkdtempSync(path.join(os.tmpdir(), "lw-shared-"));
    chmodSync(shared, 0o1777);
    expect(() => privateDirectory(shared)).toThrow(/cannot hold Loopwright's data: it is a shared folder/);
    expect(statSync(shared).mode & 0o7777).toBe(0o1777);
    // The embedded database's folder inside such a folder: the folder above it is left alone too.
    await expect(openDatabase({ dataDir: path.join(shared, "db") })).rejects.toThrow(
      /set LOOPWRIGHT_DATA_DIR/,
    );
    expect(() => privateDirectory(os.homedir())).toThrow(/it is the home folder/);
    expect(() => privateDirectory("/")).toThrow(/file system's root/);
    // A folder inside a shared one is Loopwright's own.
    expect(mode(privateDirectory(path.join(shared, "loopwright")))).toBe(0o700);
  });

  it("keeps the embedded database's files unreadable by anyone else (with the serve umask)", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "lw-private-db-"));
    chmodSync(dataDir, 0o755);
    const previous = process.umask(0o077);
    try {
      const db = await openDatabase({ dataDir: path.join(dataDir, "db") });
      await db.query("create table t (x int)");
      await db.query("insert into t values (1)");
      await db.close();
    } finally {
      process.umask(previous);
    }
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(path.join(dataDir, "db"))).toBe(0o700);
    // No file or folder below gives any right to the group or others.
    expect(execFileSync("find", [dataDir, "-perm", "/077"], { encoding: "utf8" })).toBe("");
  }, 120_000);
});
