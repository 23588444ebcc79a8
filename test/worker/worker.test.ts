import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.ts";
import { startQueue, type TaskQueue } from "../../src/store/queue.ts";
import { listSteps } from "../../src/store/steps.ts";
import { getTask, requestCancel, type Task, type TaskStatus } from "../../src/store/tasks.ts";
import type { TaskHandler } from "../../src/worker/task-handler.ts";
import { startWorker, type WorkerOptions } from "../../src/worker/worker.ts";
import { databaseKinds, openTestDatabase, type TestDatabase } from "../helpers/test-database.ts";
import { waitFor } from "../helpers/wait-for.ts";

const log = createLogger({ logLevel: "silent" });

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

const runningByRepository = new Map<string, number>();
const maxByRepository = new Map<string, number>();

const handlers = new Map<string, TaskHandler>([
  [
    "ok",
    async ({ task, steps }) => {
      await steps.record({ kind: "note", payload: { hello: task.repository } });
      return { status: "succeeded", prUrl: `https://example.test/pull/${task.id}` };
    },
  ],
  [
    "boom",
    async () => {
      throw new Error("kaboom");
    },
  ],
  [
    // Spends `perTurn` tokens a turn until its signal stops it, as the agent loop does.
    "spend",
    async ({ task, signal, addTokens, enforceDailyTokenBudget }) => {
      await enforceDailyTokenBudget(Number(task.input.dailyTokens));
      while (!signal.aborted) await addTokens(Number(task.input.perTurn));
      throw signal.reason;
    },
  ],
  [
    "sleep",
    async ({ task, signal, steps }) => {
      const repo = task.repository;
      runningByRepository.set(repo, (runningByRepository.get(repo) ?? 0) + 1);
      maxByRepository.set(repo, Math.max(maxByRepository.get(repo) ?? 0, runningByRepository.get(repo)!));
      try {
        await steps.record({ kind: "start", payload: { attempt: task.attempt } });
        // A retried attempt finishes at once, so the shutdown test can see the retry succeed.
        await sleep(task.attempt > 1 ? 0 : Number(task.input.ms), signal);
        await steps.record({ kind: "end" });
        return { status: "succeeded" };
      } finally {
        runningByRepository.set(repo, runningByRepository.get(repo)! - 1);
      }
    },
  ],
]);

describe.each(databaseKinds)("worker (%s)", (kind) => {
  let db: TestDatabase;
  let queue: TaskQueue;
  beforeAll(async () => {
    db = await openTestDatabase(kind);
    queue = await startQueue(db);
  });
  afterAll(async () => {
    await queue?.stop();
    await db?.dispose();
  });

  const start = (options: Partial<WorkerOptions> = {}) =>
    startWorker({ db, queue, handlers, log, cancelPollMs: 200, ...options });
  const statusOf = async (id: number, ...wanted: TaskStatus[]) => {
    const task = await getTask(db, id);
    return task && wanted.includes(task.status) ? task : undefined;
  };

  it("finishes tasks with the handler's outcome, its error, or a missing handler", async () => {
    const worker = await start();
    try {
      const ok = (await queue.submit({ kind: "ok", lane: "interactive", repository: "w/ok", trigger: "cli" }))
        .task;
      const boom = (await queue.submit({ kind: "boom", repository: "w/boom", trigger: "cli" })).task;
      const unknown = (await queue.submit({ kind: "nope", repository: "w/nope", trigger: "cli" })).task;
      expect(await waitFor(() => statusOf(ok.id, "succeeded"))).toMatchObject({
        attempt: 1,
        prUrl: `https://example.test/pull/${ok.id}`,
      });
      expect((await listSteps(db, ok.id)).map((step) => step.kind)).toEqual(["note"]);
      expect(await waitFor(() => statusOf(boom.id, "failed"))).toMatchObject({ error: "kaboom" });
      expect(await waitFor(() => statusOf(unknown.id, "failed"))).toMatchObject({
        error: 'no handler for task kind "nope" in this worker',
      });
    } finally {
      await worker.stop();
    }
  });

  it("cancels a running task within seconds", async () => {
    const worker = await start();
    try {
      const { task } = await queue.submit({
        kind: "sleep",
        lane: "interactive",
        repository: "w/cancel",
        trigger: "cli",
        input: { ms: 60_000 },
      });
      await waitFor(() => statusOf(task.id, "running"));
      const asked = Date.now();
      await requestCancel(db, task.id);
      expect(await waitFor(() => statusOf(task.id, "cancelled"), 60_000)).toMatchObject({
        error: "cancelled on request",
      });
      expect(Date.now() - asked).toBeLessThan(30_000);
    } finally {
      await worker.stop();
    }
  });

  it("stops a running task once its repository's tokens since midnight UTC reach the daily budget", async () => {
    const worker = await start();
    const spend = (repository: string) =>
      queue.submit({
        kind: "spend",
        lane: "interactive",
        repository,
        trigger: "cli",
        input: { dailyTokens: 1000, perTurn: 300 },
      });
    try {
      const { task } = await spend("w/budget");
      expect(await waitFor(() => statusOf(task.id, "budget_exhausted", "failed"), 60_000)).toMatchObject({
        status: "budget_exhausted",
        tokens: 1200,
        error:
          "stopped: the repository's daily token budget of 1,000 tokens was used up (it resets at midnight UTC; budget.daily_tokens in .github/loopwright.yml sets it)",
      });
      // A task of the same repository that starts afterwards stops before spending anything.
      const { task: late } = await spend("w/budget");
      expect(await waitFor(() => statusOf(late.id, "budget_exhausted", "failed"), 60_000)).toMatchObject({
        status: "budget_exhausted",
        tokens: 0,
      });
      // Other repositories keep their own budget.
      const { task: other } = await spend("w/other-budget");
      expect(await waitFor(() => statusOf(other.id, "budget_exhausted", "failed"), 60_000)).toMatchObject({
        status: "budget_exhausted",
        tokens: 1200,
      });
    } finally {
      await worker.stop();
    }
  });

  it("runs interactive work while background work fills its lane, one task per repository at a time", async () => {
    const worker = await start({ concurrency: { interactive: 3, background: 1 }, repositoryConcurrency: 1 });
    try {
      // Submitted one after the other so the lane takes bg1 first (concurrent submits may land in either order).
      const background: Task[] = [];
      for (const repository of ["w/bg1", "w/bg2"]) {
        const { task } = await queue.submit({
          kind: "sleep",
          lane: "background",
          repository,
          trigger: "cli",
          input: { ms: 8_000 },
        });
        background.push(task);
      }
      await waitFor(() => statusOf(background[0]!.id, "running"));
      const sameRepo = await Promise.all(
        [1, 2].map(
          async () =>
            (
              await queue.submit({
                kind: "sleep",
                lane: "interactive",
                repository: "w/busy",
                trigger: "cli",
                input: { ms: 300 },
              })
            ).task,
        ),
      );
      for (const task of sameRepo) await waitFor(() => statusOf(task.id, "succeeded"), 60_000);
      // Both interactive tasks ended while the background lane was still busy with its first task.
      expect((await getTask(db, background[0]!.id))?.status).toBe("running");
      expect((await getTask(db, background[1]!.id))?.status).toBe("queued");
      expect(maxByRepository.get("w/busy")).toBe(1);
      for (const task of background) await requestCancel(db, task.id);
      await waitFor(() => statusOf(background[0]!.id, "cancelled"), 60_000);
    } finally {
      await worker.stop();
    }
  }, 240_000);

  it("hands a task still running after the grace period back to the queue, keeping its steps", async () => {
    const first = await start({ graceMs: 200 });
    const { task } = await queue.submit({
      kind: "sleep",
      lane: "interactive",
      repository: "w/shutdown",
      trigger: "cli",
      input: { ms: 60_000 },
    });
    await waitFor(() => statusOf(task.id, "running"));
    await first.stop();
    expect(first.running).toBe(0);
    expect(await getTask(db, task.id)).toMatchObject({ status: "queued", attempt: 1 });
    const second = await start();
    try {
      expect(await waitFor(() => statusOf(task.id, "succeeded"), 60_000)).toMatchObject({ attempt: 2 });
      const steps = await listSteps(db, task.id);
      expect(steps.map((step) => [step.attempt, step.kind])).toEqual([
        [1, "start"],
        [2, "start"],
        [2, "end"],
      ]);
    } finally {
      await second.stop();
    }
  }, 240_000);
});
