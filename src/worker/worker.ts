import os from "node:os";
import type { Job } from "pg-boss";
import type { Logger } from "../logger.ts";
import type { Database, Queryable } from "../store/database.ts";
import { EVAL_QUEUE, LANE_QUEUES, LOST_QUEUE, type TaskJob, type TaskQueue } from "../store/queue.ts";
import { tokensSpentToday } from "../store/repository-tasks.ts";
import { createStepRecorder } from "../store/steps.ts";
import {
  addTokens,
  cancelRequestedAmong,
  failUnfinishedTask,
  finishTask,
  getTask,
  recordSideEffect,
  requeueTask,
  startAttempt,
  startAttemptWithinLimit,
  type Task,
  type TaskOutcome,
} from "../store/tasks.ts";
import { createTranscriptRecorder } from "../store/transcripts.ts";
import {
  stoppedOutcome,
  TaskAbortedError,
  type TaskContext,
  type TaskHandlers,
  taskStop,
} from "./task-handler.ts";

export type WorkerOptions = {
  db: Database;
  queue: TaskQueue;
  handlers: TaskHandlers;
  log: Logger;
  /**
   * Tasks this process runs at once, per lane, and of eval tasks (their own queue; as many as
   * `background` when absent); 0: none of those.
   */
  concurrency?: { interactive: number; background: number; eval?: number };
  /** Tasks of one repository running at once across all workers, per lane. */
  repositoryConcurrency?: number;
  /** How long a stopping worker lets running tasks finish before handing them back. */
  graceMs?: number;
  /** How often running tasks' cancellation flags are checked. */
  cancelPollMs?: number;
  /** Shown on the task while it runs. */
  name?: string;
};

export type Worker = {
  /** Tasks running in this process now. */
  readonly running: number;
  /**
   * Stops claiming, lets running tasks finish within the grace period, then aborts the rest and
   * hands them back to the queue (another worker retries them).
   */
  stop(): Promise<void>;
};

/**
 * What a handler gets for one attempt of a task: its recorders write to the database as they go, and
 * `controller` is aborted when the repository's daily token budget (once the handler sets one) is
 * used up.
 *
 * @example
 * const outcome = await handler(createTaskContext(db, task, controller, log));
 */
export function createTaskContext(
  db: Queryable,
  task: Task,
  controller: AbortController,
  log: Logger,
): TaskContext {
  let dailyTokens: number | undefined;
  async function checkDailyBudget(): Promise<void> {
    if (dailyTokens === undefined || controller.signal.aborted) return;
    const spent = await tokensSpentToday(db, task.repository);
    if (spent < dailyTokens) return;
    log.info({ spent, dailyTokens }, "the repository's daily token budget is used up: stopping the task");
    const budget = dailyTokens.toLocaleString("en-US");
    controller.abort(
      new TaskAbortedError(
        "daily_budget",
        `stopped: the repository's daily token budget of ${budget} tokens was used up (it resets at midnight UTC; budget.daily_tokens in .github/loopwright.yml sets it)`,
      ),
    );
  }
  return {
    task,
    signal: controller.signal,
    steps: createStepRecorder(db, task.id, task.attempt),
    transcript: createTranscriptRecorder(db, task.id, task.attempt),
    recordSideEffect: (key, value) => recordSideEffect(db, task.id, key, value),
    async addTokens(tokens) {
      await addTokens(db, task.id, tokens);
      await checkDailyBudget();
    },
    async enforceDailyTokenBudget(limit) {
      dailyTokens = limit;
      await checkDailyBudget();
    },
    log,
  };
}

/** How long a task waits when its repository already runs as many tasks as allowed. */
const REPOSITORY_BUSY_DELAY_SECONDS = 2;

type Running = { controller: AbortController; done: Promise<void> };

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Claims task jobs from both lanes and runs each task's handler: starts the attempt, gives the
 * handler its signal and recorders, and finishes the task with the handler's outcome (a thrown
 * error becomes a failed task with the message).
 *
 * @example
 * const worker = await startWorker({ db, queue, handlers: new Map([["submit", submit]]), log });
 * await worker.stop();
 */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const { db, queue, handlers, log } = options;
  const concurrency = options.concurrency ?? { interactive: 2, background: 1 };
  const graceMs = options.graceMs ?? 30_000;
  const name = options.name ?? `${os.hostname()}:${process.pid}`;
  const repositoryConcurrency = options.repositoryConcurrency ?? 2;
  const running = new Map<number, Running>();
  let stopping = false;

  /** `perRepository`: whether the repository's limit of running tasks applies to this job's task. */
  async function runAttempt(job: Job<TaskJob>, perRepository: boolean): Promise<void> {
    const taskId = job.data?.taskId;
    if (!Number.isInteger(taskId)) {
      log.warn({ jobId: job.id }, "dropping a job without a task id");
      return;
    }
    const claim = perRepository
      ? await startAttemptWithinLimit(db, taskId, name, repositoryConcurrency)
      : await startAttempt(db, taskId, name);
    if (claim === "busy") {
      const task = await getTask(db, taskId);
      if (task) await queue.requeue(task, REPOSITORY_BUSY_DELAY_SECONDS);
      return;
    }
    const task = claim;
    if (!task) return;
    const controller = new AbortController();
    const onClaimLost = () => controller.abort(new TaskAbortedError("claim_lost"));
    job.signal.addEventListener("abort", onClaimLost, { once: true });
    let settle = () => {};
    running.set(task.id, { controller, done: new Promise((resolve) => (settle = resolve)) });
    const taskLog = log.child({ taskId: task.id, attempt: task.attempt, kind: task.kind });
    taskLog.info("task started");
    try {
      let outcome: TaskOutcome;
      const handler = handlers.get(task.kind);
      try {
        if (!handler) throw new Error(`no handler for task kind "${task.kind}" in this worker`);
        const context = createTaskContext(db, task, controller, taskLog);
        try {
          outcome = await handler(context);
        } finally {
          // Every step recorded is stored before the task ends (a write that failed fails the task).
          await context.steps.flush();
        }
      } catch (error) {
        const reason = controller.signal.aborted ? controller.signal.reason : undefined;
        if (reason instanceof TaskAbortedError && reason.reason === "shutdown") {
          await requeueTask(db, task.id, task.attempt, "its worker stopped before it finished; retrying");
          // Failing the job makes pg-boss retry it now, on whichever worker claims it first.
          throw reason;
        }
        if (reason instanceof TaskAbortedError && reason.reason === "claim_lost") throw reason;
        const stop = taskStop(controller.signal);
        outcome = stop
          ? stoppedOutcome(stop, "cancelled on request")
          : { status: "failed", error: error instanceof Error ? error.message : String(error) };
      }
      const finished = await finishTask(db, task.id, task.attempt, outcome);
      taskLog.info({ status: outcome.status, error: outcome.error, finished }, "task ended");
    } finally {
      job.signal.removeEventListener("abort", onClaimLost);
      running.delete(task.id);
      settle();
    }
  }

  // One query per poll for every task running here, so a cancel reaches the handler in about a second
  // even when it was requested from another process.
  const cancelTimer = setInterval(async () => {
    if (running.size === 0) return;
    try {
      for (const id of await cancelRequestedAmong(db, [...running.keys()])) {
        running.get(id)?.controller.abort(new TaskAbortedError("cancelled"));
      }
    } catch (error) {
      log.warn({ err: error }, "cannot check for cancelled tasks");
    }
  }, options.cancelPollMs ?? 1_000);

  // Eval tasks each work in a repository of their own: no per-repository limit holds them back.
  const taskQueues = [
    { name: LANE_QUEUES.interactive, localConcurrency: concurrency.interactive, perRepository: true },
    { name: LANE_QUEUES.background, localConcurrency: concurrency.background, perRepository: true },
    { name: EVAL_QUEUE, localConcurrency: concurrency.eval ?? concurrency.background, perRepository: false },
  ].filter((taskQueue) => taskQueue.localConcurrency > 0);
  for (const { name: queueName, localConcurrency, perRepository } of taskQueues) {
    await queue.boss.work<TaskJob>(
      queueName,
      {
        localConcurrency,
        ...(perRepository && { groupConcurrency: repositoryConcurrency }),
        pollingIntervalSeconds: 2,
        notifyPollingIntervalSeconds: 2,
        includeMetadata: false,
      },
      async ([job]) => {
        if (!job) return;
        await runAttempt(job, perRepository);
        // pg-boss waits out its polling interval after each job; where one job was, more may wait,
        // so wake this queue's workers to fetch again at once (a backlog drains at full speed).
        for (const wip of queue.boss.getWipData()) {
          if (wip.name === queueName) queue.boss.notifyWorker(wip.id);
        }
      },
    );
  }
  await queue.boss.work<TaskJob>(LOST_QUEUE, { pollingIntervalSeconds: 5 }, async ([job]) => {
    if (!job || !Number.isInteger(job.data?.taskId)) return;
    await failUnfinishedTask(
      db,
      job.data.taskId,
      `the task was tried ${queue.options.retryLimit + 1} times without finishing: its worker stopped ` +
        "responding each time, or it outlived its wall-time budget",
    );
  });
  log.info({ worker: name, concurrency, repositoryConcurrency }, "worker started");

  return {
    get running() {
      return running.size;
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      await Promise.all(
        [...taskQueues.map((taskQueue) => taskQueue.name), LOST_QUEUE].map((queueName) =>
          queue.boss.offWork(queueName, { wait: false }),
        ),
      );
      const all = () => Promise.all([...running.values()].map((task) => task.done));
      if (running.size > 0) {
        log.info({ running: running.size, graceMs }, "waiting for running tasks to finish");
        await Promise.race([all(), delay(graceMs)]);
      }
      if (running.size > 0) {
        log.warn({ running: running.size }, "grace period over: handing running tasks back to the queue");
        for (const task of running.values()) task.controller.abort(new TaskAbortedError("shutdown"));
        await Promise.race([all(), delay(5_000)]);
      }
      clearInterval(cancelTimer);
    },
  };
}
