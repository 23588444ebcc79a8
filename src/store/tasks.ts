import type { Database, Queryable } from "./database.ts";
import { capPayload, capText } from "./payload.ts";

export const TASK_STATUSES = [
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
  "budget_exhausted",
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
/** Statuses a task never leaves. */
export const FINISHED_STATUSES: readonly TaskStatus[] = [
  "succeeded",
  "failed",
  "cancelled",
  "budget_exhausted",
];

/**
 * Kinds of which an issue or pull request has at most one unfinished task: a partial unique index on
 * (repository, number) holds it, whoever inserts.
 */
export const ONE_ACTIVE_PER_ISSUE_KINDS: readonly string[] = ["fix", "iterate"];

/** Interactive work (a person waits on it) has its own queue and workers, so reviews never starve it. */
export type Lane = "interactive" | "background";
const INTERACTIVE_KINDS = new Set(["fix", "iterate", "submit"]);

/** The lane a task kind runs in unless its creator says otherwise. */
export function laneOf(kind: string): Lane {
  return INTERACTIVE_KINDS.has(kind) ? "interactive" : "background";
}

export type Task = {
  id: number;
  kind: string;
  lane: Lane;
  status: TaskStatus;
  /** "owner/name" for GitHub tasks; the remote URL or path for `submit`. */
  repository: string;
  installationId: number | null;
  /** The issue or pull request number, when there is one. */
  number: number | null;
  requester: string | null;
  /** What started it: "comment", "label", "pull_request", "schedule", "cli"… */
  trigger: string;
  deliveryId: string | null;
  /** The event that asked for it (`comment:<id>`, see `eventKeyOf`): one task per event, ever. */
  eventKey: string | null;
  /** Kind-specific parameters (instructions, ref, replay file…). */
  input: Record<string, unknown>;
  /** 0 until a worker first claims it; each claim (including a retry elsewhere) adds one. */
  attempt: number;
  cancelRequested: boolean;
  /** What the GitHub layer created (progress comment id, branch, PR number), so a retry reuses it. */
  sideEffects: Record<string, unknown>;
  prUrl: string | null;
  error: string | null;
  tokens: number;
  worker: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
};

export type NewTask = {
  kind: string;
  lane?: Lane;
  repository: string;
  installationId?: number;
  number?: number;
  requester?: string;
  trigger: string;
  /** GitHub's X-GitHub-Delivery: a redelivery of the same webhook finds the task instead. */
  deliveryId?: string;
  /** The event's identity: the same event delivered again, under any delivery id, finds the task instead. */
  eventKey?: string;
  /** The webhook event name, recorded with the delivery. */
  event?: string;
  input?: Record<string, unknown>;
};

export type TaskOutcome = {
  status: "succeeded" | "failed" | "cancelled" | "budget_exhausted";
  prUrl?: string;
  /** Why it did not succeed, in words. */
  error?: string;
};

/** A row of loopwright.tasks as the driver returns it. */
export type TaskRow = {
  id: number;
  kind: string;
  lane: Lane;
  status: TaskStatus;
  repository: string;
  installation_id: string | number | null;
  number: number | null;
  requester: string | null;
  trigger: string;
  delivery_id: string | null;
  event_key: string | null;
  input: Record<string, unknown>;
  attempt: number;
  cancel_requested: boolean;
  side_effects: Record<string, unknown>;
  pr_url: string | null;
  error: string | null;
  tokens: string | number;
  worker: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
};

/** A task from its row (`select * from loopwright.tasks`). */
export function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    kind: row.kind,
    lane: row.lane,
    status: row.status,
    repository: row.repository,
    installationId: row.installation_id === null ? null : Number(row.installation_id),
    number: row.number,
    requester: row.requester,
    trigger: row.trigger,
    deliveryId: row.delivery_id,
    eventKey: row.event_key,
    input: row.input,
    attempt: row.attempt,
    cancelRequested: row.cancel_requested,
    sideEffects: row.side_effects,
    prUrl: row.pr_url,
    error: row.error,
    tokens: Number(row.tokens),
    worker: row.worker,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    updatedAt: row.updated_at,
  };
}

const T = "loopwright.tasks";
const FINISHED_SQL = `('succeeded', 'failed', 'cancelled', 'budget_exhausted')`;

/** The insert refused because another task of the kind already works on the issue or pull request. */
export class ActiveTaskError extends Error {
  override name = "ActiveTaskError";
  readonly activeTaskId: number;
  constructor(activeTaskId: number, repository: string, number: number) {
    super(`task ${activeTaskId} is already working on ${repository}#${number}`);
    this.activeTaskId = activeTaskId;
  }
}

/**
 * The task a request already made: the one with its event key, else with its delivery id.
 *
 * @example
 * const existing = await findRequestedTask(tx, { eventKey: "comment:42", deliveryId: "72d3162e-…" });
 */
export async function findRequestedTask(
  db: Queryable,
  request: Pick<NewTask, "eventKey" | "deliveryId">,
): Promise<Task | undefined> {
  for (const [column, value] of [
    ["event_key", request.eventKey],
    ["delivery_id", request.deliveryId],
  ] as const) {
    if (value === undefined) continue;
    const { rows } = await db.query<TaskRow>(`select * from ${T} where ${column} = $1`, [value]);
    if (rows[0]) return toTask(rows[0]);
  }
  return undefined;
}

/**
 * The unfinished fix or iterate task of an issue or pull request (there is at most one), or undefined.
 *
 * @example
 * const busy = await activeTaskOn(db, "octo/app", 7); // 41
 */
export async function activeTaskOn(
  db: Queryable,
  repository: string,
  number: number,
): Promise<number | undefined> {
  const { rows } = await db.query<{ id: number }>(
    `select id from ${T} where repository = $1 and number = $2 and kind = any($3::text[])
       and status in ('queued', 'running')`,
    [repository, number, ONE_ACTIVE_PER_ISSUE_KINDS],
  );
  return rows[0]?.id;
}

/**
 * Inserts a task, idempotently on `eventKey` and `deliveryId`: the same event delivered again (even 20
 * copies at once, under any delivery ids) gets the first copy's task back with `created: false`.
 *
 * @example
 * const { task, created } = await createTask(tx, { kind: "fix", repository: "o/r", trigger: "comment",
 *   eventKey: "comment:42", deliveryId: "72d3162e-…", number: 12, requester: "octocat" });
 * @throws ActiveTaskError when another fix or iterate task is unfinished on the same issue or pull request
 */
export async function createTask(db: Queryable, request: NewTask): Promise<{ task: Task; created: boolean }> {
  const values = [
    request.kind,
    request.lane ?? laneOf(request.kind),
    request.repository,
    request.installationId ?? null,
    request.number ?? null,
    request.requester ?? null,
    request.trigger,
    request.deliveryId ?? null,
    JSON.stringify(capPayload(request.input ?? {})),
    request.eventKey ?? null,
  ];
  const columns =
    "kind, lane, repository, installation_id, number, requester, trigger, delivery_id, input, event_key";
  const placeholders = "$1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10";
  // Any unique conflict (the event key, the delivery, the issue's unfinished task) inserts nothing
  // instead of failing the caller's transaction; which one it was is read back below. The delivery
  // is normally in the inbox already (stored when it arrived); a caller without the inbox stores it here.
  if (request.deliveryId !== undefined) {
    await db.query(
      `insert into loopwright.webhook_deliveries (delivery_id, event) values ($1, $2)
       on conflict (delivery_id) do nothing`,
      [request.deliveryId, request.event ?? request.trigger],
    );
  }
  const { rows } = await db.query<TaskRow>(
    `insert into ${T} (${columns}) values (${placeholders}) on conflict do nothing returning *`,
    values,
  );
  if (rows[0]) return { task: toTask(rows[0]), created: true };
  const existing = await findRequestedTask(db, request);
  if (existing) return { task: existing, created: false };
  if (request.number !== undefined && ONE_ACTIVE_PER_ISSUE_KINDS.includes(request.kind)) {
    const active = await activeTaskOn(db, request.repository, request.number);
    if (active !== undefined) throw new ActiveTaskError(active, request.repository, request.number);
  }
  throw new Error(
    `task not created: it conflicted with another task of ${request.repository} that ended meanwhile; submit it again`,
  );
}

/**
 * One task by id, or undefined.
 *
 * @example
 * const task = await getTask(db.reader, 42);
 */
export async function getTask(db: Queryable, id: number): Promise<Task | undefined> {
  const { rows } = await db.query<TaskRow>(`select * from ${T} where id = $1`, [id]);
  return rows[0] ? toTask(rows[0]) : undefined;
}

/**
 * The tasks of these ids that exist, in id order.
 *
 * @example
 * const unfinished = (await getTasks(db, [41, 42])).filter((task) => !FINISHED_STATUSES.includes(task.status));
 */
export async function getTasks(db: Queryable, ids: readonly number[]): Promise<Task[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<TaskRow>(`select * from ${T} where id = any($1::int[]) order by id`, [ids]);
  return rows.map(toTask);
}

/**
 * Recent tasks, newest first.
 *
 * @example
 * const failed = await listTasks(db.reader, { status: "failed", limit: 20 });
 */
export async function listTasks(
  db: Queryable,
  filter: { status?: TaskStatus; repository?: string; limit?: number } = {},
): Promise<Task[]> {
  const { rows } = await db.query<TaskRow>(
    `select * from ${T}
     where ($1::text is null or status = $1) and ($2::text is null or repository = $2)
     order by id desc limit $3`,
    [filter.status ?? null, filter.repository ?? null, filter.limit ?? 50],
  );
  return rows.map(toTask);
}

/**
 * Claims the next attempt of a task for a worker: status running, attempt + 1. Resolves to
 * undefined when there is nothing to run (finished, cancelled, or deleted).
 *
 * @example
 * const task = await startAttempt(db, 42, "host-a:1234");
 */
export async function startAttempt(db: Queryable, id: number, worker: string): Promise<Task | undefined> {
  const { rows } = await db.query<TaskRow>(
    `update ${T} set status = 'running', attempt = attempt + 1, worker = $2, error = null,
       started_at = coalesce(started_at, now()), updated_at = now()
     where id = $1 and status in ('queued', 'running') and not cancel_requested
     returning *`,
    [id, worker],
  );
  if (rows[0]) return toTask(rows[0]);
  // A task cancelled before any worker claimed it ends here.
  await db.query(
    `update ${T} set status = 'cancelled', finished_at = now(), updated_at = now()
     where id = $1 and cancel_requested and status not in ${FINISHED_SQL}`,
    [id],
  );
  return undefined;
}

/**
 * Like `startAttempt`, but only while fewer than `limit` other tasks of the same repository and lane
 * run; "busy" otherwise. An advisory lock per repository makes the count and the claim one step, so
 * workers claiming at the same instant cannot both pass.
 *
 * @example
 * const claim = await startAttemptWithinLimit(db, 42, "host-a:1234", 2);
 * if (claim === "busy") await queue.requeue(task, 5);
 */
export async function startAttemptWithinLimit(
  db: Database,
  id: number,
  worker: string,
  limit: number,
): Promise<Task | "busy" | undefined> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ repository: string; lane: Lane }>(
      `select repository, lane from ${T} where id = $1`,
      [id],
    );
    const task = rows[0];
    if (!task) return undefined;
    await tx.query("select pg_advisory_xact_lock(hashtext('loopwright:repository:' || $1))", [
      task.repository,
    ]);
    const { rows: counted } = await tx.query<{ n: number }>(
      `select count(*)::int as n from ${T}
       where repository = $1 and lane = $2 and status = 'running' and id <> $3`,
      [task.repository, task.lane, id],
    );
    if ((counted[0]?.n ?? 0) >= limit) return "busy";
    return startAttempt(tx, id, worker);
  });
}

/**
 * Records a task's outcome, only if `attempt` is still the current one and the task still runs,
 * so a worker that lost its claim can never finish a task a second time.
 *
 * @example
 * await finishTask(db, task.id, task.attempt, { status: "succeeded", prUrl });
 * @returns whether this call finished the task
 */
export async function finishTask(
  db: Queryable,
  id: number,
  attempt: number,
  outcome: TaskOutcome,
): Promise<boolean> {
  const { rows } = await db.query(
    `update ${T} set status = $3, pr_url = $4, error = $5, finished_at = now(), updated_at = now()
     where id = $1 and attempt = $2 and status = 'running' returning id`,
    [
      id,
      attempt,
      outcome.status,
      outcome.prUrl ?? null,
      outcome.error ? capText(outcome.error, 4_000) : null,
    ],
  );
  return rows.length > 0;
}

/**
 * Puts a running attempt back to queued (its worker is shutting down; another will retry it).
 *
 * @example
 * await requeueTask(db, task.id, task.attempt, "worker stopped before the task finished");
 */
export async function requeueTask(db: Queryable, id: number, attempt: number, reason: string): Promise<void> {
  await db.query(
    `update ${T} set status = 'queued', error = $3, worker = null, updated_at = now()
     where id = $1 and attempt = $2 and status = 'running'`,
    [id, attempt, reason],
  );
}

/**
 * Fails a task that is not finished yet, whatever its attempt (its job ran out of retries).
 *
 * @example
 * await failUnfinishedTask(db, 42, "the worker running it was lost 3 times");
 */
export async function failUnfinishedTask(db: Queryable, id: number, error: string): Promise<void> {
  await db.query(
    `update ${T} set status = 'failed', error = $2, finished_at = now(), updated_at = now()
     where id = $1 and status not in ${FINISHED_SQL}`,
    [id, capText(error, 4_000)],
  );
}

/**
 * Asks for a task to stop: a queued task is cancelled at once; a running one is flagged, and its
 * worker (in any process) aborts the handler within about a second.
 *
 * @example
 * const task = await requestCancel(db, 42); // task.status: "cancelled" or still "running"
 * @returns the task after the request, or undefined when there is no such task
 */
export async function requestCancel(db: Queryable, id: number): Promise<Task | undefined> {
  const { rows } = await db.query<TaskRow>(
    `update ${T} set cancel_requested = true, updated_at = now(),
       status = case when status = 'queued' then 'cancelled' else status end,
       finished_at = case when status = 'queued' then now() else finished_at end
     where id = $1 and status not in ${FINISHED_SQL} returning *`,
    [id],
  );
  return rows[0] ? toTask(rows[0]) : getTask(db, id);
}

/**
 * Which of these tasks have a cancellation request.
 *
 * @example
 * const stop = await cancelRequestedAmong(db, [41, 42]); // [42]
 */
export async function cancelRequestedAmong(db: Queryable, ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<{ id: number }>(
    `select id from ${T} where id = any($1::int[]) and cancel_requested`,
    [ids],
  );
  return rows.map((row) => row.id);
}

/**
 * Remembers a side effect the GitHub layer made (e.g. `progressCommentId`, `branch`, `pullNumber`),
 * merged into `task.sideEffects`, so a retried attempt finds and reuses it.
 *
 * @example
 * await recordSideEffect(db, task.id, "progressCommentId", 123456);
 */
export async function recordSideEffect(
  db: Queryable,
  id: number,
  key: string,
  value: unknown,
): Promise<void> {
  await db.query(
    `update ${T} set side_effects = side_effects || jsonb_build_object($2::text, $3::jsonb), updated_at = now()
     where id = $1`,
    [id, key, JSON.stringify(value ?? null)],
  );
}

/**
 * Adds model tokens spent to the task's total (kept even when the task later fails).
 *
 * @example
 * await addTokens(db, task.id, usage.totalTokens);
 */
export async function addTokens(db: Queryable, id: number, tokens: number): Promise<void> {
  if (!Number.isFinite(tokens) || tokens <= 0) return;
  await db.query(`update ${T} set tokens = tokens + $2, updated_at = now() where id = $1`, [
    id,
    Math.round(tokens),
  ]);
}
