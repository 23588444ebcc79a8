import { setTimeout as sleep } from "node:timers/promises";
import type { Database, Queryable } from "./database.ts";
import { getTask, type Task } from "./tasks.ts";

/** A point in the primary's write-ahead log (a `pg_lsn` as text, e.g. "0/3000148"). */
export type WritePosition = string;

/**
 * Where the primary's WAL is now (`pg_current_wal_insert_lsn()`): taken after a write has committed,
 * a replica that has replayed up to it sees the write. Undefined when reads do not go to a replica
 * (nothing to wait for).
 *
 * @example
 * const { task } = await queue.submit(request);
 * const position = await writePosition(db);
 */
export async function writePosition(db: Database): Promise<WritePosition | undefined> {
  if (!db.readsFromReplica) return undefined;
  const { rows } = await db.query<{ lsn: string }>("select pg_current_wal_insert_lsn()::text as lsn");
  return rows[0]?.lsn;
}

/**
 * A write position from outside (a URL's query), or undefined when it is not one: only an LSN's
 * shape (`0/3000148`) is ever passed on to the database.
 *
 * @example
 * const position = parseWritePosition(url.searchParams.get("after"));
 */
export function parseWritePosition(text: string | null | undefined): WritePosition | undefined {
  return text && /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i.test(text) ? text : undefined;
}

export type FreshReader = { reader: Queryable; source: "replica" | "primary" };

/**
 * A reader that sees every write up to `position`: the replica once its replay LSN has reached it
 * (`pg_last_wal_replay_lsn()`), polled for at most `maxWaitMs`; the primary when the replica is
 * behind for longer, cannot be asked, or is not a replica at all (then its replay LSN is null).
 * Without a position or a replica, the usual reader.
 *
 * @example
 * const { reader } = await readerAfter(db, await writePosition(db));
 * const task = await getTask(reader, id); // never older than the write
 */
export async function readerAfter(
  db: Database,
  position: WritePosition | undefined,
  options: { maxWaitMs?: number; pollMs?: number } = {},
): Promise<FreshReader> {
  if (!db.readsFromReplica || position === undefined) return { reader: db.reader, source: "replica" };
  const deadline = Date.now() + (options.maxWaitMs ?? 2_000);
  try {
    for (;;) {
      const { rows } = await db.reader.query<{ replayed: boolean | null }>(
        "select pg_last_wal_replay_lsn() >= $1::pg_lsn as replayed",
        [position],
      );
      if (rows[0]?.replayed === true) return { reader: db.reader, source: "replica" };
      if (rows[0]?.replayed === null || Date.now() >= deadline) break;
      await sleep(options.pollMs ?? 20);
    }
  } catch {
    // An unreachable replica is no reason to fail a read the primary can answer.
  }
  return { reader: db, source: "primary" };
}

/**
 * A task by id for someone who may have just created it (the id came from `submit`): the replica,
 * and the primary when the replica does not have it (yet). Undefined only when neither has it.
 *
 * @example
 * const task = await findTask(db, Number(id));
 */
export async function findTask(db: Database, id: number): Promise<Task | undefined> {
  const task = await getTask(db.reader, id);
  if (task || !db.readsFromReplica) return task;
  return getTask(db, id);
}

export type ReplicaLag = { bytes: number; seconds: number };

/**
 * How far the replica is behind the primary: WAL bytes not yet replayed, and the age of the last
 * replayed transaction while any remains to replay (0 when it has caught up). Undefined without a
 * replica, or when the read server is not a replica.
 *
 * @example
 * const lag = await replicaLag(db); // { bytes: 0, seconds: 0 } on a caught-up replica
 */
export async function replicaLag(db: Database): Promise<ReplicaLag | undefined> {
  if (!db.readsFromReplica) return undefined;
  const { rows: primary } = await db.query<{ lsn: string }>("select pg_current_wal_lsn()::text as lsn");
  const { rows } = await db.reader.query<{ bytes: string | null; seconds: number | null }>(
    `select pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn())::text as bytes,
       case when pg_last_wal_replay_lsn() >= $1::pg_lsn then 0
            else extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 end as seconds`,
    [primary[0]?.lsn],
  );
  const row = rows[0];
  if (!row || row.bytes === null) return undefined;
  return { bytes: Math.max(0, Number(row.bytes)), seconds: Math.max(0, Number(row.seconds ?? 0)) };
}
