import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/database.ts";
import { migrate, migrations } from "../../src/store/migrate.ts";
import {
  createServerDatabase,
  databaseKinds,
  openTestDatabase,
  serverUrl,
} from "../helpers/test-database.ts";

const storeDir = path.resolve(import.meta.dirname, "../../src/store");

describe.each(databaseKinds)("migrate (%s)", (kind) => {
  it("applies each migration once, refuses a newer schema, and rolls back a failing one", async () => {
    const db = await openTestDatabase(kind); // already migrated once
    try {
      expect(await migrate(db)).toEqual([]);
      const { rows } = await db.query<{ version: number }>(
        "select version from loopwright.schema_migrations",
      );
      expect(rows.map((row) => row.version)).toEqual(migrations.map((migration) => migration.version));

      const broken = [
        ...migrations,
        { version: 99, name: "broken", sql: "create table loopwright.x (n int); select nope;" },
      ];
      await expect(migrate(db, broken)).rejects.toThrow(/^migration 99 \(broken\) failed: .*nope/);
      const leftover = await db.query("select to_regclass('loopwright.x') as t");
      expect(leftover.rows[0]?.t).toBeNull();

      await db.query("insert into loopwright.schema_migrations (version, name) values (1000, 'future')");
      await expect(migrate(db)).rejects.toThrow(
        /schema is at version 1000, newer than this Loopwright knows/,
      );
    } finally {
      await db.dispose();
    }
  });
});

describe.skipIf(!serverUrl)("migrate raced from 4 processes (postgres)", () => {
  it("applies every migration exactly once", async () => {
    const server = await createServerDatabase();
    try {
      const script = `
        const { openDatabase } = await import(${JSON.stringify(path.join(storeDir, "database.ts"))});
        const { migrate } = await import(${JSON.stringify(path.join(storeDir, "migrate.ts"))});
        const db = await openDatabase({ url: ${JSON.stringify(server.url)} });
        console.log(JSON.stringify(await migrate(db)));
        await db.close();`;
      const results = await Promise.all(
        Array.from({ length: 4 }, () => {
          const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "pipe" });
          let output = "";
          child.stdout.on("data", (chunk) => (output += chunk));
          child.stderr.on("data", (chunk) => (output += chunk));
          return new Promise<{ code: number | null; output: string }>((resolve) =>
            child.on("exit", (code) => resolve({ code, output })),
          );
        }),
      );
      expect(results.map((result) => result.code)).toEqual([0, 0, 0, 0]);
      const applied = results.map((result) => JSON.parse(result.output) as number[]);
      expect(applied.flat().sort()).toEqual(migrations.map((migration) => migration.version));
      const db = await openDatabase({ url: server.url });
      const { rows } = await db.query("select version from loopwright.schema_migrations");
      expect(rows).toHaveLength(migrations.length);
      await db.close();
    } finally {
      await server.drop();
    }
  }, 60_000);
});
