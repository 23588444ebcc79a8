import type { Database } from "./database.ts";
import { initial } from "./migrations/0001-initial.ts";
import { taskAdmission } from "./migrations/0002-task-admission.ts";
import { webhookInbox } from "./migrations/0003-webhook-inbox.ts";
import { dashboardIndexes } from "./migrations/0004-dashboard-indexes.ts";
import { review } from "./migrations/0005-review.ts";
import { maintenance } from "./migrations/0006-maintenance.ts";
import { taskFiles } from "./migrations/0008-task-files.ts";

export type Migration = { version: number; name: string; sql: string };

/** Every schema change, in order; append new ones, never edit an applied one. */
export const migrations: readonly Migration[] = [
  initial,
  taskAdmission,
  webhookInbox,
  dashboardIndexes,
  review,
  maintenance,
  taskFiles,
];

/** Any constant works as long as every Loopwright process uses the same one. */
const MIGRATION_LOCK = 7_346_105_921;

/**
 * Brings the `loopwright` schema up to date. The whole run is one transaction holding an advisory
 * lock, so processes starting together apply each migration exactly once and the others wait.
 *
 * @example
 * const applied = await migrate(db); // [1] on a fresh database, [] afterwards
 * @throws Error naming the migration that failed; nothing of the run is applied then
 */
export async function migrate(db: Database, list: readonly Migration[] = migrations): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await tx.exec(`
      create schema if not exists loopwright;
      create table if not exists loopwright.schema_migrations (
        version integer primary key,
        name text not null,
        applied_at timestamptz not null default now()
      );`);
    const { rows } = await tx.query<{ version: number }>("select version from loopwright.schema_migrations");
    const done = new Set(rows.map((row) => row.version));
    const newest = Math.max(0, ...done);
    const known = Math.max(0, ...list.map((migration) => migration.version));
    if (newest > known) {
      throw new Error(
        `the database schema is at version ${newest}, newer than this Loopwright knows (${known}); upgrade Loopwright`,
      );
    }
    const applied: number[] = [];
    for (const migration of list) {
      if (done.has(migration.version)) continue;
      try {
        await tx.exec(migration.sql);
      } catch (error) {
        throw new Error(
          `migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`,
        );
      }
      await tx.query("insert into loopwright.schema_migrations (version, name) values ($1, $2)", [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return applied;
  });
}
