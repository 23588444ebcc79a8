/** A worker process for bench/queue.bench.ts: runs "noop" tasks from DATABASE_URL until SIGTERM. */
import { createLogger } from "../src/logger.ts";
import { openDatabase } from "../src/store/database.ts";
import { startQueue } from "../src/store/queue.ts";
import { startWorker } from "../src/worker/worker.ts";

// DATABASE_LISTEN_URL: the queue's LISTEN past a transaction-mode PgBouncer (bench/write-cost.bench.ts).
const db = await openDatabase({
  url: process.env.DATABASE_URL,
  listenUrl: process.env.DATABASE_LISTEN_URL || undefined,
  poolSize: 3,
});
const queue = await startQueue(db);
const worker = await startWorker({
  db,
  queue,
  log: createLogger({ logLevel: "silent" }),
  concurrency: { interactive: 4, background: 1 },
  repositoryConcurrency: 64,
  handlers: new Map([["noop", async () => ({ status: "succeeded" as const })]]),
});
process.once("SIGTERM", async () => {
  await worker.stop();
  await queue.stop();
  await db.close();
});
