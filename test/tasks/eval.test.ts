import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSettings } from "../../src/config/settings.ts";
import { EVAL_FILES, type EvalRequest } from "../../src/eval/eval-request.ts";
import { parseResults } from "../../src/eval/results.ts";
import { createLogger } from "../../src/logger.ts";
import { readTaskFile, writeTaskFile } from "../../src/store/task-files.ts";
import { FINISHED_STATUSES, getTask, type Task } from "../../src/store/tasks.ts";
import { createTaskHandlers, type TaskHandlerSet } from "../../src/tasks/handlers.ts";
import { startWorker, type Worker } from "../../src/worker/worker.ts";
import { databaseKinds, openTestQueue } from "../helpers/test-database.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { removeDir, tempDir } from "../workspace/helpers/git-repos.ts";

describe.each(databaseKinds)("eval task kind, bad requests (%s)", (kind) => {
  let root: string;
  let world: Awaited<ReturnType<typeof openTestQueue>>;
  let tasks: TaskHandlerSet;
  let worker: Worker;

  beforeAll(async () => {
    root = tempDir("eval-task");
    world = await openTestQueue(kind);
    const settings = loadSettings({ LOOPWRIGHT_DATA_DIR: path.join(root, "data"), LOG_LEVEL: "silent" });
    const log = createLogger(settings);
    tasks = await createTaskHandlers(settings, log, world.db);
    worker = await startWorker({ db: world.db, queue: world.queue, handlers: tasks.handlers, log });
  });
  afterAll(async () => {
    await worker?.stop();
    await tasks?.close();
    await world?.dispose();
    removeDir(root);
  });

  /** Queues an eval task with `request` as its request file (none when undefined) and waits for its end. */
  async function runEval(request: string | undefined): Promise<Task> {
    const { db, queue } = world;
    const { task } = await db.transaction(async (tx) => {
      const submitted = await queue.submitWithin(tx, {
        kind: "eval",
        repository: "/nowhere",
        trigger: "cli",
      });
      if (request !== undefined) await writeTaskFile(tx, submitted.task.id, EVAL_FILES.request, request);
      return submitted;
    });
    return waitFor(
      async () => {
        const current = await getTask(db, task.id);
        return current && FINISHED_STATUSES.includes(current.status) ? current : undefined;
      },
      60_000,
      `task ${task.id} to end`,
    );
  }

  it("fails a task without a request, or with one that is not JSON or not a request, saying why", async () => {
    expect(await runEval(undefined)).toMatchObject({
      status: "failed",
      error: expect.stringMatching(
        /has no request \(eval\/request\.json\); eval tasks are queued by loopwright eval run/,
      ),
    });
    expect(await runEval("{not json")).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/request is not JSON/),
    });
    const malformed = await runEval(JSON.stringify({ task: { instance_id: "x" }, model: { kind: "gpt" } }));
    expect(malformed.status).toBe("failed");
    expect(malformed.error).toMatch(/has a malformed request:[\s\S]*task\.repo/);
  });

  it("scores a task whose repository cannot be fetched as an error, with the reason in its result", async () => {
    const request: EvalRequest = {
      task: {
        instance_id: "gone-1",
        repo: path.join(root, "gone"),
        base_commit: "abc1234",
        problem_statement: "Fix it.",
        patch: "",
        test_patch: "",
        FAIL_TO_PASS: ["it works"],
        PASS_TO_PASS: [],
      },
      source: path.join(root, "gone"),
      model: { kind: "noop" },
      modelName: "noop",
      price: null,
    };
    const task = await runEval(JSON.stringify(request));
    expect(task.status).toBe("failed");
    const text = await readTaskFile(world.db, task.id, EVAL_FILES.result);
    const [result] = parseResults(`${text}\n`, "result");
    expect(result).toMatchObject({ instance_id: "gone-1", resolved: false, failure: "error", model: "noop" });
    expect(task.error).toBe(result?.detail);
    expect(task.sideEffects.result).toMatch(/^not resolved: error/);
  });
});
