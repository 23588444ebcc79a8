import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { createLogger } from "../src/logger.ts";
import { type Database, openDatabase } from "../src/store/database.ts";
import { migrate } from "../src/store/migrate.ts";
import { startQueue } from "../src/store/queue.ts";
import { getTask } from "../src/store/tasks.ts";
import { startWorker } from "../src/worker/worker.ts";
import type { BenchSection } from "./run.ts";
import { serverUrl, withServerDatabase } from "./server-database.ts";

const workerEntry = path.join(import.meta.dirname, "queue-worker.ts");

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Enqueue latency and throughput, then enqueue → handler start latency with one in-process worker. */
async function measureQueue(db: Database, label: string): Promise<string[]> {
  await migrate(db);
  const queue = await startQueue(db);
  const submit = (i: number) =>
    queue.submit({ kind: "noop", lane: "interactive", repository: `bench/r${i % 16}`, trigger: "cli" });
  const latencies: number[] = [];
  for (let i = 0; i < 200; i += 1) {
    const started = performance.now();
    await submit(i);
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  const burst = 400;
  const burstStart = performance.now();
  for (let i = 0; i < burst; i += 4) await Promise.all([0, 1, 2, 3].map((j) => submit(i + j)));
  const perSecond = burst / ((performance.now() - burstStart) / 1000);
  // Start latency: drain the backlog first, then one task at a time.
  const startedAt = new Map<number, number>();
  let drained = 0;
  const worker = await startWorker({
    db,
    queue,
    log: createLogger({ logLevel: "silent" }),
    concurrency: { interactive: 8, background: 1 },
    repositoryConcurrency: 64,
    handlers: new Map([
      [
        "noop",
        async ({ task }) => {
          startedAt.set(task.id, performance.now());
          drained += 1;
          return { status: "succeeded" };
        },
      ],
    ]),
  });
  while (drained < 600) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const startLatencies: number[] = [];
  for (let i = 0; i < 40; i += 1) {
    const sent = performance.now();
    const { task } = await submit(i);
    while (!startedAt.has(task.id)) await new Promise((resolve) => setTimeout(resolve, 2));
    startLatencies.push(startedAt.get(task.id)! - sent);
    while ((await getTask(db, task.id))?.status !== "succeeded") await new Promise((r) => setTimeout(r, 5));
  }
  startLatencies.sort((a, b) => a - b);
  await worker.stop();
  await queue.stop();
  const ms = (value: number) => value.toFixed(1);
  return [
    `| ${label} | ${ms(percentile(latencies, 50))} | ${ms(percentile(latencies, 99))} | ${perSecond.toFixed(0)} | ${ms(percentile(startLatencies, 50))} | ${ms(percentile(startLatencies, 99))} |`,
  ];
}

/** Tasks per second with N worker processes draining a backlog of trivial tasks. */
async function measureScaling(processes: number): Promise<number> {
  return withServerDatabase(async (url) => {
    const db = await openDatabase({ url });
    await migrate(db);
    const queue = await startQueue(db);
    const total = 600;
    for (let i = 0; i < total; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          queue.submit({
            kind: "noop",
            lane: "interactive",
            repository: `bench/r${(i + j) % 64}`,
            trigger: "cli",
          }),
        ),
      );
    }
    const children: ChildProcess[] = [];
    const started = performance.now();
    for (let i = 0; i < processes; i += 1) {
      children.push(
        spawn(process.execPath, [workerEntry], {
          env: { ...process.env, DATABASE_URL: url },
          stdio: "ignore",
        }),
      );
    }
    for (;;) {
      const { rows } = await db.query<{ n: number }>(
        "select count(*)::int as n from loopwright.tasks where status = 'succeeded'",
      );
      if ((rows[0]?.n ?? 0) >= total) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Includes process start-up, as a scale-out would.
    const rate = total / ((performance.now() - started) / 1000);
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(children.map((child) => new Promise((resolve) => child.on("exit", resolve))));
    await queue.stop();
    await db.close();
    return rate;
  });
}

export default async function (): Promise<BenchSection> {
  const rows = [
    "| database | enqueue p50 (ms) | enqueue p99 (ms) | enqueue/s (4 concurrent) | enqueue → start p50 (ms) | p99 (ms) |",
    "|---|---|---|---|---|---|",
  ];
  const embedded = await openDatabase({ dataDir: "memory://" });
  rows.push(...(await measureQueue(embedded, "PGlite (in-process)")));
  await embedded.close();
  const lines = [rows.join("\n")];
  if (serverUrl) {
    const server = await withServerDatabase(async (url) => {
      const db = await openDatabase({ url });
      try {
        return await measureQueue(db, "PostgreSQL 127.0.0.1");
      } finally {
        await db.close();
      }
    });
    lines[0] += `\n${server.join("\n")}`;
    const scaling = ["| worker processes | tasks/s (600 trivial tasks, incl. start-up) |", "|---|---|"];
    for (const n of [1, 2, 4, 8]) scaling.push(`| ${n} | ${(await measureScaling(n)).toFixed(1)} |`);
    lines.push(scaling.join("\n"));
  } else {
    lines.push("_PostgreSQL not reachable (set TEST_DATABASE_URL): server rows and scaling skipped._");
  }
  return { title: "Task queue (pg-boss on PGlite and PostgreSQL)", markdown: lines.join("\n\n") };
}
