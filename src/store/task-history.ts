import type { Queryable } from "./database.ts";
import { type Task, type TaskRow, type TaskStatus, toTask } from "./tasks.ts";

/** Which tasks a page of history shows. Every field narrows the list; absent fields do not. */
export type TaskPageFilter = {
  /** Only tasks of these repositories ("owner/name"); undefined: every repository (administrators). */
  visibleRepositories?: readonly string[] | undefined;
  repository?: string | undefined;
  kind?: string | undefined;
  status?: TaskStatus | undefined;
  requester?: string | undefined;
  /** Keyset cursor: only tasks with a smaller id (the `next` of the previous page). */
  before?: number | undefined;
  /** Tasks per page, 1 to 200. */
  limit: number;
};

export type TaskPage = {
  tasks: Task[];
  /** The cursor of the next (older) page, when there is one. */
  next: number | undefined;
};

/**
 * One page of tasks, newest first, paginated by id (keyset: a page costs the same however deep it is).
 *
 * @example
 * const first = await listTaskPage(db.reader, { kind: "fix", limit: 50 });
 * const second = await listTaskPage(db.reader, { kind: "fix", limit: 50, before: first.next });
 */
export async function listTaskPage(db: Queryable, filter: TaskPageFilter): Promise<TaskPage> {
  const limit = Math.min(200, Math.max(1, Math.floor(filter.limit)));
  const { rows } = await db.query<TaskRow>(
    `select * from loopwright.tasks
     where ($1::text[] is null or repository = any($1::text[]))
       and ($2::text is null or repository = $2)
       and ($3::text is null or kind = $3)
       and ($4::text is null or status = $4)
       and ($5::text is null or requester = $5)
       and ($6::int is null or id < $6)
     order by id desc limit $7`,
    [
      filter.visibleRepositories ? [...filter.visibleRepositories] : null,
      filter.repository ?? null,
      filter.kind ?? null,
      filter.status ?? null,
      filter.requester ?? null,
      filter.before ?? null,
      limit + 1,
    ],
  );
  const tasks = rows.slice(0, limit).map(toTask);
  return { tasks, next: rows.length > limit ? tasks.at(-1)?.id : undefined };
}

export type RepositorySummary = {
  repository: string;
  tasks: number;
  /** Queued or running now. */
  active: number;
  succeeded: number;
  failed: number;
  /** Model tokens of the tasks created since `since` (the daily budget's count). */
  tokensToday: number;
  lastTaskAt: Date;
};

type SummaryRow = {
  repository: string;
  tasks: string | number;
  active: string | number;
  succeeded: string | number;
  failed: string | number;
  tokens_today: string | number;
  last_task_at: Date;
};

/**
 * Per repository: task counts, active tasks and the tokens spent since `since` (midnight UTC for the
 * daily budget), most recently active first.
 *
 * @example
 * const rows = await summarizeRepositories(db.reader, undefined, startOfUtcDay(new Date()));
 */
export async function summarizeRepositories(
  db: Queryable,
  visibleRepositories: readonly string[] | undefined,
  since: Date,
): Promise<RepositorySummary[]> {
  const { rows } = await db.query<SummaryRow>(
    `select repository, count(*) as tasks,
       count(*) filter (where status in ('queued', 'running')) as active,
       count(*) filter (where status = 'succeeded') as succeeded,
       count(*) filter (where status in ('failed', 'budget_exhausted')) as failed,
       coalesce(sum(tokens) filter (where created_at >= $2), 0) as tokens_today,
       max(created_at) as last_task_at
     from loopwright.tasks
     where ($1::text[] is null or repository = any($1::text[]))
     group by repository order by max(id) desc`,
    [visibleRepositories ? [...visibleRepositories] : null, since],
  );
  return rows.map((row) => ({
    repository: row.repository,
    tasks: Number(row.tasks),
    active: Number(row.active),
    succeeded: Number(row.succeeded),
    failed: Number(row.failed),
    tokensToday: Number(row.tokens_today),
    lastTaskAt: row.last_task_at,
  }));
}
