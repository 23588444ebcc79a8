import type { PgBoss } from "pg-boss";
import type { Database } from "./database.ts";

/** Why the jobs were handed back, as their failure records it. */
const REASON = "the process working on it stopped (found at the next start of the embedded database)";

/**
 * On the embedded database, a job still active when a process starts was taken by a process that is
 * gone: the data folder's lock lets one process at a time open it. Failing those jobs now lets the
 * queue's retry hand them out at once, instead of after the heartbeat sweep (30 s and more) — so a
 * delivery or a task that `serve` was killed in the middle of resumes as soon as it is back. On
 * PostgreSQL other processes may be alive, and the heartbeat decides.
 *
 * @example
 * const released = await releaseOrphanedJobs(db, queue.boss);
 */
export async function releaseOrphanedJobs(db: Database, boss: PgBoss): Promise<number> {
  if (db.connection.kind !== "pglite") return 0;
  const { rows } = await db.query<{ id: string; name: string }>(
    "select id, name from pgboss.job where state = 'active'",
  );
  const byQueue = new Map<string, string[]>();
  for (const { id, name } of rows) byQueue.set(name, [...(byQueue.get(name) ?? []), id]);
  for (const [name, ids] of byQueue) await boss.fail(name, ids, { reason: REASON });
  return rows.length;
}
