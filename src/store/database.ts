import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { privateDirectory, privateTree } from "../config/private-directory.ts";
import type { Settings } from "../config/settings.ts";
import { acquireDirectoryLock } from "./directory-lock.ts";
import { scheduledPglite } from "./pglite-scheduler.ts";

export type Row = Record<string, unknown>;

/** The one query surface every store module uses: a pool, a PGlite instance, or a transaction. */
export interface Queryable {
  query<R extends Row = Row>(text: string, params?: readonly unknown[]): Promise<{ rows: R[] }>;
}

/** A transaction: queries plus `exec` for parameterless multi-statement SQL (migrations). */
export interface Transaction extends Queryable {
  exec(sql: string): Promise<void>;
}

/**
 * How pg-boss reaches the same database. `listenUrl` is where its LISTEN connection goes (a direct
 * connection past a transaction-mode pooler; false: none, workers poll; undefined: `url`).
 */
export type Connection =
  | { kind: "pglite"; pglite: PGlite }
  | { kind: "postgres"; url: string; listenUrl?: string | false | undefined };

/** The primary (writes, and the `Queryable` itself) and a reader for history queries. */
export interface Database extends Queryable {
  readonly connection: Connection;
  /** Read-only queries (task lists, step logs): the replica when DATABASE_READ_URL is set. */
  readonly reader: Queryable;
  /** Whether `reader` is a separate server (a replica, which may lag behind the primary). */
  readonly readsFromReplica: boolean;
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type DatabaseOptions = {
  /** PostgreSQL primary; when absent the embedded PGlite database is used. */
  url?: string | undefined;
  /** Read replica for history reads; falls back to the primary. */
  readUrl?: string | undefined;
  /** The queue's LISTEN connection (see `Connection`). */
  listenUrl?: string | false | undefined;
  /** PGlite data directory, or "memory://" for a throwaway database. */
  dataDir?: string;
  /** Connections in this process's pool to the primary. */
  poolSize?: number;
};

/** Where the database is, from the process settings. */
export function databaseOptions(settings: Pick<Settings, "database" | "dataDir">): DatabaseOptions {
  return {
    url: settings.database.url,
    readUrl: settings.database.readUrl,
    listenUrl: settings.database.listenUrl,
    dataDir: path.join(settings.dataDir, "db"),
  };
}

/** A connection URL without its password, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "the configured URL";
  }
}

function createPool(url: string, max: number, role: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, application_name: `loopwright ${role}` });
  // An idle client that loses its server emits here; the next query through the pool reports it.
  pool.on("error", () => {});
  return pool;
}

async function checkReachable(pool: pg.Pool, url: string, variable: string): Promise<void> {
  try {
    await pool.query("select 1");
  } catch (error) {
    await pool.end().catch(() => {});
    throw new Error(`cannot connect to ${variable} (${redact(url)}): ${(error as Error).message}`);
  }
}

function poolQueryable(pool: pg.Pool): Queryable {
  return {
    async query<R extends Row>(text: string, params?: readonly unknown[]) {
      const result = await pool.query(text, params as unknown[] | undefined);
      return { rows: result.rows as R[] };
    },
  };
}

async function openPostgres(options: DatabaseOptions & { url: string }): Promise<Database> {
  const primary = createPool(options.url, options.poolSize ?? 4, "primary");
  await checkReachable(primary, options.url, "DATABASE_URL");
  let replica: pg.Pool | undefined;
  if (options.readUrl && options.readUrl !== options.url) {
    replica = createPool(options.readUrl, options.poolSize ?? 4, "reader");
    try {
      await checkReachable(replica, options.readUrl, "DATABASE_READ_URL");
    } catch (error) {
      await primary.end();
      throw error;
    }
  }
  const primaryQueryable = poolQueryable(primary);
  return {
    connection: { kind: "postgres", url: options.url, listenUrl: options.listenUrl },
    query: primaryQueryable.query,
    reader: replica ? poolQueryable(replica) : primaryQueryable,
    readsFromReplica: replica !== undefined,
    async transaction(fn) {
      const client = await primary.connect();
      try {
        await client.query("begin");
        const result = await fn({
          async query<R extends Row>(text: string, params?: readonly unknown[]) {
            return { rows: (await client.query(text, params as unknown[] | undefined)).rows as R[] };
          },
          async exec(sql) {
            await client.query(sql);
          },
        });
        await client.query("commit");
        return result;
      } catch (error) {
        await client.query("rollback").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async close() {
      await Promise.all([primary.end(), replica?.end()]);
    },
  };
}

async function openEmbedded(dataDir: string): Promise<Database> {
  const inMemory = dataDir.startsWith("memory://");
  let lock: { release(): void } | undefined;
  if (!inMemory) {
    privateDirectory(path.dirname(dataDir));
    privateDirectory(dataDir);
    lock = acquireDirectoryLock(
      `${dataDir}.lock`,
      (pid) =>
        `the embedded database ${dataDir} is in use by ${pid === undefined ? "another process" : `process ${pid}`}; ` +
        "run one `loopwright serve`, or set DATABASE_URL for several processes",
    );
  }
  let pglite: PGlite;
  try {
    pglite = scheduledPglite(await PGlite.create(inMemory ? undefined : dataDir));
    // A new WAL segment is created without writing its 16 MB of zeros first: that write ran inside
    // whichever statement crossed a segment boundary, stalling the process (PGlite runs statements
    // synchronously) — every few seconds under a burst of webhooks.
    await pglite.query("set wal_init_zero = off");
    if (!inMemory) privateTree(dataDir);
  } catch (error) {
    lock?.release();
    throw new Error(`cannot open the embedded database in ${dataDir}: ${(error as Error).message}`);
  }
  const queryable: Queryable = {
    async query<R extends Row>(text: string, params?: readonly unknown[]) {
      return { rows: (await pglite.query<R>(text, params as unknown[] | undefined)).rows };
    },
  };
  return {
    connection: { kind: "pglite", pglite },
    query: queryable.query,
    reader: queryable,
    readsFromReplica: false,
    // PGlite's transaction() holds its single connection, so other callers wait instead of interleaving.
    transaction: (fn) =>
      pglite.transaction((tx) =>
        fn({
          async query<R extends Row>(text: string, params?: readonly unknown[]) {
            return { rows: (await tx.query<R>(text, params as unknown[] | undefined)).rows };
          },
          async exec(sql) {
            await tx.exec(sql);
          },
        }),
      ),
    async close() {
      try {
        if (!pglite.closed) await pglite.close();
        if (!inMemory) privateTree(dataDir);
      } finally {
        lock?.release();
      }
    },
  };
}

/**
 * Opens the database: a `pg` pool on `url` (plus one on `readUrl` for history reads) when set,
 * otherwise embedded PGlite in `dataDir`, locked to this process.
 *
 * @example
 * const db = await openDatabase({ dataDir: "memory://" });
 * await db.query("select 1 as one");
 * await db.close();
 * @throws Error naming the variable and the server when it cannot connect, or the process that holds
 * the embedded database
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres({ ...options, url: options.url });
  return openEmbedded(options.dataDir ?? "memory://");
}
