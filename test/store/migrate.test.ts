import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/database.ts";
import { migrate, migrations } from "../../src/store/migrate.ts";
import { initial } from "../../src/store/migrations/0001-initial.ts";
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

describe.each(databaseKinds)("migration 2, task admission (%s)", (kind) => {
  it("keys existing tasks by their event and keeps one unfinished task per issue", async () => {
    const server = kind === "postgres" ? await createServerDatabase() : undefined;
    const db = await openDatabase(server ? { url: server.url } : { dataDir: "memory://" });
    try {
      expect(await migrate(db, [initial])).toEqual([1]);
      const insert = (values: string) =>
        db.query(
          `insert into loopwright.tasks (kind, lane, status, repository, number, trigger, input)
           values ${values}`,
        );
      await insert(`
        ('fix', 'interactive', 'succeeded', 'o/r', 1, 'comment', '{"commentId": 11}'),
        ('fix', 'interactive', 'succeeded', 'o/r', 1, 'comment', '{"commentId": 11}'),
        ('iterate', 'interactive', 'queued', 'o/r', 2, 'review', '{"reviewId": 22}'),
        ('fix', 'interactive', 'queued', 'o/r', 3, 'comment', '{"commentId": 33}'),
        ('fix', 'interactive', 'running', 'o/r', 3, 'comment', '{"commentId": 34}'),
        ('fix', 'interactive', 'queued', 'o/r', 3, 'label', '{}'),
        ('submit', 'interactive', 'queued', '/srv/repo.git', null, 'cli', '{}')`);
      // Migration 2 and every later one.
      expect(await migrate(db)).toEqual(migrations.slice(1).map((migration) => migration.version));
      const { rows } = await db.query<{ id: number; status: string; event_key: string | null }>(
        "select id, status, event_key from loopwright.tasks order by id",
      );
      expect(rows).toEqual([
        { id: 1, status: "succeeded", event_key: "comment:11" },
        { id: 2, status: "succeeded", event_key: null },
        { id: 3, status: "queued", event_key: "review:22" },
        { id: 4, status: "cancelled", event_key: "comment:33" },
        { id: 5, status: "running", event_key: "comment:34" },
        { id: 6, status: "cancelled", event_key: null },
        { id: 7, status: "queued", event_key: null },
      ]);
      await expect(insert("('fix', 'interactive', 'queued', 'o/r', 3, 'comment', '{}')")).rejects.toThrow(
        /tasks_one_active_per_issue/,
      );
    } finally {
      await db.close();
      await server?.drop();
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
  }, 240_000);
});
