import { setTimeout as sleep } from "node:timers/promises";
import { fromPglite, PgBoss } from "pg-boss";
import { admitTask, type SubmitAccepted, type SubmitResult } from "./admission.ts";
import type { Database, Queryable } from "./database.ts";
import { createInboxQueues } from "./inbox.ts";
import { queueDb } from "./queue-connection.ts";
import type { TaskLimits } from "./task-limits.ts";
import { createTask, type Lane, type NewTask, type Task } from "./tasks.ts";

export type { SubmitAccepted, SubmitRefused, SubmitResult } from "./admission.ts";

/** A request checked against a repository's limits before it becomes a task (GitHub requests). */
export type LimitedTask = NewTask & { limits: TaskLimits };

/** The pg-boss queue each lane's jobs go to. */
export const LANE_QUEUES: Record<Lane, string> = {
  interactive: "loopwright-interactive",
  background: "loopwright-background",
};
/** Where a job lands when it ran out of retries without finishing (its worker kept dying). */
export const LOST_QUEUE = "loopwright-lost";
/**
 * Eval tasks have a queue of their own rather than their lane's: a run queues hundreds at once, which
 * must not hold the background lane's slots (reviews, maintenance), and `loopwright eval run`'s own
 * worker takes only them.
 */
export const EVAL_QUEUE = "loopwright-eval";

/**
 * The pg-boss queue a task's jobs go to: `EVAL_QUEUE` for eval tasks, else its lane's.
 *
 * @example
 * jobQueueOf({ kind: "fix", lane: "interactive" }); // "loopwright-interactive"
 */
export function jobQueueOf(task: Pick<Task, "kind" | "lane">): string {
  return task.kind === "eval" ? EVAL_QUEUE : LANE_QUEUES[task.lane];
}

/** A job's data: the task is the source of truth, the job only points at it. */
export type TaskJob = { taskId: number };

export type QueueOptions = {
  /** A worker refreshes its claim this often (/2); a claim not refreshed for this long is retried. */
  heartbeatSeconds?: number;
  /** How often expired and heartbeat-stale jobs are swept (across all processes). */
  superviseIntervalSeconds?: number;
  /** Retries after a lost worker (a handler's own error fails the task without a retry). */
  retryLimit?: number;
  /** The default wall-time budget of a task; its job expires some minutes after it. */
  wallTimeSeconds?: number;
};

export type TaskQueue = {
  readonly boss: PgBoss;
  readonly options: Required<QueueOptions>;
  /**
   * Creates a task and its job in one transaction, idempotently on `eventKey` and `deliveryId`: a
   * redelivery gets the existing task (`created: false`) and enqueues nothing. With `limits`, the
   * request may be refused instead (see `admitTask`): `{ status: "busy", activeTaskId }` when another
   * fix or iterate task is unfinished on the issue or pull request, `{ status: "limited", refusal }`
   * when a limit is reached. Without, a fix or iterate task on a busy issue throws `ActiveTaskError`.
   * The job expires some minutes after the task's wall-time budget (`input.wallTimeSeconds`, else the
   * queue's default).
   */
  submit(request: LimitedTask): Promise<SubmitResult>;
  submit(request: NewTask): Promise<SubmitAccepted>;
  /**
   * Creates a task and its job inside the caller's transaction (idempotently on `eventKey`), so they
   * commit or roll back with the caller's other writes (the scheduler's claim of a slot).
   */
  submitWithin(tx: Queryable, request: NewTask): Promise<SubmitAccepted>;
  /** Enqueues another job for an existing task, to start after `delaySeconds`. */
  requeue(task: Task, delaySeconds: number): Promise<void>;
  stop(options?: { timeoutMs?: number }): Promise<void>;
};

const DEFAULTS: Required<QueueOptions> = {
  heartbeatSeconds: 30,
  superviseIntervalSeconds: 10,
  retryLimit: 2,
  wallTimeSeconds: 3_600,
};

/** Time past the wall-time budget before a job is considered stuck; the budget itself ends the task. */
const EXPIRY_MARGIN_SECONDS = 600;

function bossFor(db: Database, options: Required<QueueOptions>): PgBoss {
  const common = {
    useListenNotify: true,
    schedule: false,
    superviseIntervalSeconds: options.superviseIntervalSeconds,
    monitorIntervalSeconds: options.superviseIntervalSeconds,
    openTelemetry: { enabled: false },
  };
  if (db.connection.kind === "pglite") {
    return new PgBoss({ ...common, db: fromPglite(db.connection.pglite), backend: "pglite" });
  }
  const { url, listenUrl } = db.connection;
  return new PgBoss({
    ...common,
    db: queueDb({ url, listenUrl, max: 3, applicationName: "loopwright queue" }),
  });
}

/** Lets pg-boss write its job inside our transaction. */
function bossDb(tx: Queryable) {
  return { executeSql: (text: string, values?: unknown[]) => tx.query(text, values) };
}

/** A unique violation: another process created the same object (pg-boss's schema, a queue) first. */
const isCreationRace = (error: unknown) => (error as { code?: unknown }).code === "23505";

/**
 * pg-boss, started with Loopwright's queues. Processes starting together on a new database race to
 * create pg-boss's schema (through a transaction pooler its session lock does not hold them back);
 * the one that loses sees a unique violation and starts again once the winner has made it.
 */
async function startBoss(db: Database, resolved: Required<QueueOptions>): Promise<PgBoss> {
  for (let attempt = 1; ; attempt++) {
    const boss = bossFor(db, resolved);
    // pg-boss reports background failures (lost connection, maintenance) here; without a listener
    // an EventEmitter 'error' would crash the process. The next query surfaces a lasting problem.
    boss.on("error", () => {});
    try {
      await boss.start();
      await boss.createQueue(LOST_QUEUE, { retryLimit: 5, retryDelay: 5 });
      await createInboxQueues(boss, resolved.heartbeatSeconds);
      for (const name of [...Object.values(LANE_QUEUES), EVAL_QUEUE]) {
        await boss.createQueue(name, {
          retryLimit: resolved.retryLimit,
          retryDelay: 1,
          expireInSeconds: resolved.wallTimeSeconds + EXPIRY_MARGIN_SECONDS,
          heartbeatSeconds: resolved.heartbeatSeconds,
          notify: true,
          deadLetter: LOST_QUEUE,
          deleteAfterSeconds: 7 * 24 * 3_600,
        });
      }
      return boss;
    } catch (error) {
      await boss.stop({ graceful: false, close: true }).catch(() => {});
      if (attempt < 5 && isCreationRace(error)) {
        await sleep(100 * attempt);
        continue;
      }
      throw new Error(`cannot start the task queue: ${(error as Error).message}`);
    }
  }
}

/**
 * Starts the task queue on the database: pg-boss over PGlite (`fromPglite`) or over PostgreSQL, the
 * same code either way. Creates the lane queues (each notify-enabled, with heartbeats and a
 * dead-letter queue for jobs whose workers kept dying).
 *
 * @example
 * const queue = await startQueue(db);
 * const { task } = await queue.submit({ kind: "fix", repository: "o/r", trigger: "comment", deliveryId });
 * await queue.stop();
 */
export async function startQueue(db: Database, options: QueueOptions = {}): Promise<TaskQueue> {
  const resolved = { ...DEFAULTS, ...options };
  const boss = await startBoss(db, resolved);
  async function send(
    task: Task,
    options: { db?: ReturnType<typeof bossDb>; startAfter?: number },
  ): Promise<void> {
    const budget = Number(task.input.wallTimeSeconds);
    const wallTime = Number.isFinite(budget) && budget > 0 ? budget : resolved.wallTimeSeconds;
    await boss.send(jobQueueOf(task), { taskId: task.id } satisfies TaskJob, {
      ...(options.db ? { db: options.db } : {}),
      ...(options.startAfter ? { startAfter: options.startAfter } : {}),
      expireInSeconds: wallTime + EXPIRY_MARGIN_SECONDS,
      group: { id: task.repository },
    });
  }
  function submit(request: LimitedTask): Promise<SubmitResult>;
  function submit(request: NewTask): Promise<SubmitAccepted>;
  function submit(request: NewTask | LimitedTask): Promise<SubmitResult> {
    return db.transaction(async (tx) => {
      const result: SubmitResult =
        "limits" in request
          ? await admitTask(tx, request, request.limits)
          : { status: "accepted", ...(await createTask(tx, request)) };
      if (result.status === "accepted" && result.created) await send(result.task, { db: bossDb(tx) });
      return result;
    });
  }
  return {
    boss,
    options: resolved,
    submit,
    async submitWithin(tx, request) {
      const created = await createTask(tx, request);
      if (created.created) await send(created.task, { db: bossDb(tx) });
      return { status: "accepted", ...created };
    },
    requeue: (task, delaySeconds) => send(task, { startAfter: delaySeconds }),
    async stop({ timeoutMs = 10_000 } = {}) {
      await boss.stop({ graceful: true, close: true, timeout: timeoutMs });
    },
  };
}
