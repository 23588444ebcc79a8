import { randomUUID } from "node:crypto";
import pg from "pg";
import { type Database, openDatabase } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { startQueue, type TaskQueue } from "../../src/store/queue.ts";

/** The real server tests also run against, when TEST_DATABASE_URL is set (CI sets it). */
export const serverUrl = process.env.TEST_DATABASE_URL || undefined;

/** "pglite" always, "postgres" too when a test server is configured. */
export const databaseKinds: ("pglite" | "postgres")[] = serverUrl ? ["pglite", "postgres"] : ["pglite"];

/**
 * A new, empty database on the test server (so concurrent test files never collide), and a way to
 * drop it.
 */
export async function createServerDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!serverUrl) throw new Error("TEST_DATABASE_URL is not set");
  const name = `lw_test_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

export type TestDatabase = Database & { url: string | undefined; dispose(): Promise<void> };

/** A migrated, empty database of the given kind; `dispose` closes (and on the server drops) it. */
export async function openTestDatabase(kind: "pglite" | "postgres"): Promise<TestDatabase> {
  const server = kind === "postgres" ? await createServerDatabase() : undefined;
  const db = await openDatabase(server ? { url: server.url } : { dataDir: "memory://" });
  await migrate(db);
  return Object.assign(db, {
    url: server?.url,
    async dispose() {
      await db.close();
      await server?.drop();
    },
  });
}

/**
 * A migrated, empty database of the given kind with the task queue started on it; `dispose` stops
 * the queue, then disposes of the database.
 */
export async function openTestQueue(
  kind: "pglite" | "postgres",
): Promise<{ db: TestDatabase; queue: TaskQueue; dispose(): Promise<void> }> {
  const db = await openTestDatabase(kind);
  const queue = await startQueue(db).catch(async (error: unknown) => {
    await db.dispose();
    throw error;
  });
  return {
    db,
    queue,
    async dispose() {
      await queue.stop();
      await db.dispose();
    },
  };
}
