import type { Queryable } from "./database.ts";
import { requestCancel } from "./tasks.ts";

const UNFINISHED_SQL = "('queued', 'running')";

/**
 * Asks every unfinished task of one issue or pull request to stop (`/agent stop`, the issue closed).
 *
 * @example
 * const stopped = await cancelTasksOf(db, "octo/repo", 12); // 1
 * @returns how many tasks were asked to stop
 */
export async function cancelTasksOf(db: Queryable, repository: string, number: number): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `select id from loopwright.tasks where repository = $1 and number = $2 and status in ${UNFINISHED_SQL}`,
    [repository, number],
  );
  for (const row of rows) await requestCancel(db, row.id);
  return rows.length;
}

/**
 * Model tokens a repository's tasks spent since a moment (for the daily budget).
 *
 * @example
 * await tokensSpentSince(db, "octo/repo", new Date(Date.UTC(2026, 10, 24))); // 1_234_567
 */
export async function tokensSpentSince(db: Queryable, repository: string, since: Date): Promise<number> {
  const { rows } = await db.query<{ total: string | number | null }>(
    "select sum(tokens) as total from loopwright.tasks where repository = $1 and created_at >= $2",
    [repository, since],
  );
  return Number(rows[0]?.total ?? 0);
}

/**
 * Midnight UTC of the day `now` is in: the daily token budget counts from there.
 *
 * @example
 * startOfUtcDay(new Date("2026-05-01T17:45:00+02:00")); // 2026-05-01T00:00:00.000Z
 */
export function startOfUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

/**
 * Model tokens a repository's tasks created since midnight UTC spent (the daily budget's count).
 *
 * @example
 * if ((await tokensSpentToday(db, "octo/repo")) >= config.budget.daily_tokens) refuse();
 */
export function tokensSpentToday(db: Queryable, repository: string, now = new Date()): Promise<number> {
  return tokensSpentSince(db, repository, startOfUtcDay(now));
}
