import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.ts";
import { EVAL_QUEUE, jobQueueOf } from "../../src/store/queue.ts";
import { getTask } from "../../src/store/tasks.ts";
import type { TaskHandler } from "../../src/worker/task-handler.ts";
import { startWorker } from "../../src/worker/worker.ts";
import { databaseKinds, openTestQueue } from "../helpers/test-database.ts";
import { waitFor } from "../helpers/wait-for.ts";

const log = createLogger({ logLevel: "silent" });

describe("jobQueueOf", () => {
  it("sends eval tasks to their own queue and every other kind to its lane's", () => {
    expect(jobQueueOf({ kind: "eval", lane: "background" })).toBe(EVAL_QUEUE);
    expect(jobQueueOf({ kind: "review", lane: "background" })).toBe("loopwright-background");
    expect(jobQueueOf({ kind: "fix", lane: "interactive" })).toBe("loopwright-interactive");
  });
});

describe.each(databaseKinds)("a worker of eval tasks only (%s)", (kind) => {
  let world: Awaited<ReturnType<typeof openTestQueue>>;
  beforeAll(async () => {
    world = await openTestQueue(kind);
  });
  afterAll(() => world?.dispose());

  it("runs eval tasks of one repository all at once and leaves every other kind queued", async () => {
    let running = 0;
    let most = 0;
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const evalHandler: TaskHandler = async () => {
      running += 1;
      most = Math.max(most, running);
      await released;
      running -= 1;
      return { status: "succeeded" };
    };
    const { db, queue } = world;
    const worker = await startWorker({
      db,
      queue,
      handlers: new Map([["eval", evalHandler]]),
      log,
      concurrency: { interactive: 0, background: 0, eval: 4 },
      repositoryConcurrency: 2,
      graceMs: 0,
    });
    try {
      const review = await queue.submit({ kind: "review", repository: "/srv/app.git", trigger: "cli" });
      const evals = [];
      for (let n = 0; n < 4; n += 1) {
        evals.push(await queue.submit({ kind: "eval", repository: "/srv/app.git", trigger: "cli" }));
      }
      // More than the repository's limit of 2 at once: each eval task has a repository of its own.
      await waitFor(() => running === 4, 60_000, "four eval tasks running together");
      release();
      for (const { task } of evals) {
        await waitFor(
          async () => (await getTask(db, task.id))?.status === "succeeded",
          60_000,
          `task ${task.id}`,
        );
      }
      expect(most).toBe(4);
      expect((await getTask(db, review.task.id))?.status).toBe("queued");
    } finally {
      release();
      await worker.stop();
    }
  }, 120_000);
});
