import type { Queryable } from "./database.ts";
import { type LimitRefusal, limitRefusal, type TaskLimits, type TaskUsage } from "./task-limits.ts";
import {
  ActiveTaskError,
  activeTaskOn,
  createTask,
  findRequestedTask,
  type NewTask,
  ONE_ACTIVE_PER_ISSUE_KINDS,
  type Task,
} from "./tasks.ts";

/** The task exists: made now (`created`), or earlier for the same event (a redelivery). */
export type SubmitAccepted = { status: "accepted"; task: Task; created: boolean };
/** No task: another one works on the issue or pull request, or a `limits` entry is reached. */
export type SubmitRefused =
  | { status: "busy"; activeTaskId: number }
  | { status: "limited"; refusal: LimitRefusal };
export type SubmitResult = SubmitAccepted | SubmitRefused;

type UsageRow = {
  id: number;
  requester: string | null;
  created_at: Date;
  recent: boolean;
  unfinished: boolean;
};

/** The repository's tasks of the last hour and the requester's unfinished ones, by the database's clock. */
async function readTaskUsage(
  db: Queryable,
  repository: string,
  requester: string | null,
): Promise<TaskUsage> {
  const { rows } = await db.query<UsageRow>(
    `select id, requester, created_at, created_at > now() - interval '1 hour' as recent,
       status in ('queued', 'running') as unfinished
     from loopwright.tasks where repository = $1 and created_at > now() - interval '1 hour'
     union
     select id, requester, created_at, created_at > now() - interval '1 hour' as recent, true as unfinished
     from loopwright.tasks where repository = $1 and requester = $2 and status in ('queued', 'running')
     order by created_at, id`,
    [repository, requester],
  );
  const own = rows.filter((row) => requester !== null && row.requester === requester);
  return {
    repositoryLastHour: rows.filter((row) => row.recent).map((row) => row.created_at),
    requesterLastHour: own.filter((row) => row.recent).map((row) => row.created_at),
    requesterActive: own.filter((row) => row.unfinished).map((row) => row.id),
  };
}

/**
 * Creates a requested task unless the request must be refused, deciding in this order: the same event
 * already made a task (accepted, `created: false`); another fix or iterate task is unfinished on the
 * issue or pull request (`busy`); a limit is reached (`limited`). Call it inside a transaction: a
 * per-repository advisory lock makes the checks and the insert one step, so 20 requests at once on one
 * issue make one task, and concurrent requests cannot both squeeze under a limit.
 *
 * @example
 * const result = await db.transaction((tx) => admitTask(tx, request, limits));
 * if (result.status === "busy") await reply(`task ${result.activeTaskId} is already working on it`);
 */
export async function admitTask(tx: Queryable, request: NewTask, limits: TaskLimits): Promise<SubmitResult> {
  await tx.query("select pg_advisory_xact_lock(hashtext('loopwright:admission:' || $1))", [
    request.repository,
  ]);
  const existing = await findRequestedTask(tx, request);
  if (existing) return { status: "accepted", task: existing, created: false };
  if (request.number !== undefined && ONE_ACTIVE_PER_ISSUE_KINDS.includes(request.kind)) {
    const active = await activeTaskOn(tx, request.repository, request.number);
    if (active !== undefined) return { status: "busy", activeTaskId: active };
  }
  const usage = await readTaskUsage(tx, request.repository, request.requester ?? null);
  const refusal = limitRefusal(usage, limits);
  if (refusal) return { status: "limited", refusal };
  try {
    return { status: "accepted", ...(await createTask(tx, request)) };
  } catch (error) {
    // A writer that does not take the lock (none in Loopwright today) may still hold the issue.
    if (error instanceof ActiveTaskError) return { status: "busy", activeTaskId: error.activeTaskId };
    throw error;
  }
}
