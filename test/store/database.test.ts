import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/database.ts";
import { databaseKinds, openTestDatabase } from "../helpers/test-database.ts";

const databaseModule = path.resolve(import.meta.dirname, "../../src/store/database.ts");

/** Opens the embedded database in another process and reports what happened. */
function openInOtherProcess(dataDir: string): Promise<{ code: number | null; output: string }> {
  const script = `
    const { openDatabase } = await import(${JSON.stringify(databaseModule)});
    try { const db = await openDatabase({ dataDir: ${JSON.stringify(dataDir)} }); await db.close(); console.log("opened"); }
    catch (error) { console.log(error.message); process.exitCode = 3; }`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "pipe" });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, output })));
}

describe.each(databaseKinds)("database (%s)", (kind) => {
  it("queries, rolls a failed transaction back, and reads through the reader", async () => {
    const db = await openTestDatabase(kind);
    try {
      await db.query("create table t (n integer)");
      await expect(
        db.transaction(async (tx) => {
          await tx.query("insert into t values ($1)", [1]);
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      await db.transaction(async (tx) => {
        await tx.exec("insert into t values (2); insert into t values (3);");
      });
      const { rows } = await db.reader.query<{ n: number }>("select n from t order by n");
      expect(rows.map((row) => row.n)).toEqual([2, 3]);
    } finally {
      await db.dispose();
    }
  });
});

describe("embedded database lock", () => {
  it("refuses a second process on the same directory, naming the holder", async () => {
    const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), "lw-db-")), "db");
    const db = await openDatabase({ dataDir });
    try {
      const second = await openInOtherProcess(dataDir);
      expect(second.code).toBe(3);
      expect(second.output).toContain(`is in use by process ${process.pid}`);
      expect(second.output).toContain("set DATABASE_URL");
      await expect(openDatabase({ dataDir })).rejects.toThrow(/in use by process/);
    } finally {
      await db.close();
    }
    const afterClose = await openInOtherProcess(dataDir);
    expect(afterClose.output.trim()).toBe("opened");
  }, 240_000);

  it("takes over a lock left by a process that died", async () => {
    const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), "lw-db-")), "db");
    // A pid far above any real one on this machine: its owner is gone.
    writeFileSync(`${dataDir}.lock`, `2147483600 ${os.hostname()}\n`);
    const db = await openDatabase({ dataDir });
    await db.close();
  });
});

describe("postgres connection errors", () => {
  it("names the variable and the server without the password", async () => {
    const error = await openDatabase({ url: "postgres://me:secret@127.0.0.1:1/db" }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /^cannot connect to DATABASE_URL \(postgres:\/\/me:\*\*\*@127\.0\.0\.1:1\/db\)/,
    );
    expect((error as Error).message).not.toContain("secret");
  });
});
