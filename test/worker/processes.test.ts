import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { startQueue, type TaskQueue } from "../../src/store/queue.ts";
import { listSteps } from "../../src/store/steps.ts";
import { getTask, type Task } from "../../src/store/tasks.ts";
import { createServerDatabase, serverUrl } from "../helpers/test-database.ts";
import { waitFor } from "../helpers/wait-for.ts";

const entry = path.join(import.meta.dirname, "fixtures/worker-process.ts");

type WorkerProcess = { child: ChildProcess; exited: Promise<number | null>; output: () => string };

async function startWorkerProcess(url: string, concurrency = 2): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, DATABASE_URL: url, CONCURRENCY: String(concurrency) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  await waitFor(
    () => output.includes("ready") || (child.exitCode !== null && Promise.reject(new Error(output))),
  );
  return { child, exited, output: () => output };
}

describe.skipIf(!serverUrl)("worker processes (postgres)", () => {
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  let db: Awaited<ReturnType<typeof openDatabase>>;
  let queue: TaskQueue;
  const processes: WorkerProcess[] = [];
  beforeAll(async () => {
    server = await createServerDatabase();
    db = await openDatabase({ url: server.url });
    await migrate(db);
    queue = await startQueue(db, { heartbeatSeconds: 10, superviseIntervalSeconds: 1 });
    // The test's own queue instance must not claim jobs: it has no worker, only supervision.
  });
  afterAll(async () => {
    for (const worker of processes) worker.child.kill("SIGKILL");
    await Promise.all(processes.map((worker) => worker.exited));
    await queue?.stop();
    await db?.close();
    await server?.drop();
  });

  const submitSleep = async (ms: number, repository = "procs/a"): Promise<Task> =>
    (await queue.submit({ kind: "sleep", lane: "interactive", repository, trigger: "cli", input: { ms } }))
      .task;

  it("finishes a task exactly once after its worker is killed with SIGKILL", async () => {
    const first = await startWorkerProcess(server.url);
    processes.push(first);
    const task = await submitSleep(60_000);
    await waitFor(
      async () => (await listSteps(db, task.id)).length > 0,
      10_000,
      "the first attempt to start",
    );
    first.child.kill("SIGKILL");
    await first.exited;
    const killedAt = Date.now();
    const second = await startWorkerProcess(server.url);
    processes.push(second);
    // The retried attempt sleeps 60 s too; shorten it by telling the test handler through the input.
    await db.query("update loopwright.tasks set input = '{\"ms\": 200}' where id = $1", [task.id]);
    const done = await waitFor(
      async () => {
        const current = await getTask(db, task.id);
        return current?.status === "succeeded" ? current : undefined;
      },
      45_000,
      "the task to be retried and succeed",
    );
    const recoveredMs = Date.now() - killedAt;
    console.log(
      `crash test: task ${task.id} recovered ${recoveredMs} ms after SIGKILL, attempt ${done.attempt}`,
    );
    expect(done.attempt).toBe(2);
    expect(recoveredMs).toBeLessThan(40_000);
    const steps = await listSteps(db, task.id);
    expect(steps.map((step) => [step.attempt, step.kind])).toEqual([
      [1, "start"],
      [2, "start"],
      [2, "end"],
    ]);
    // Nothing runs it again: the job is completed and the task stays finished on its second attempt.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await getTask(db, task.id)).toMatchObject({ status: "succeeded", attempt: 2 });
    expect((await listSteps(db, task.id)).filter((step) => step.kind === "end")).toHaveLength(1);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  }, 90_000);

  it("never runs one job in two worker processes at once", async () => {
    const workers = [await startWorkerProcess(server.url, 4), await startWorkerProcess(server.url, 4)];
    processes.push(...workers);
    const tasks = await Promise.all(Array.from({ length: 30 }, (_, i) => submitSleep(50, `procs/r${i % 5}`)));
    for (const task of tasks) {
      await waitFor(async () => (await getTask(db, task.id))?.status === "succeeded", 120_000);
    }
    const pids = new Set<unknown>();
    for (const task of tasks) {
      expect((await getTask(db, task.id))?.attempt).toBe(1);
      const steps = await listSteps(db, task.id);
      expect(steps.map((step) => step.kind)).toEqual(["start", "end"]);
      pids.add((steps[0]!.payload as { pid: number }).pid);
    }
    // Both processes took part.
    expect(pids.size).toBe(2);
    for (const worker of workers) worker.child.kill("SIGTERM");
    expect(await Promise.all(workers.map((worker) => worker.exited))).toEqual([0, 0]);
  }, 240_000);
});
