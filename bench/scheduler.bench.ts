import { createLogger } from "../src/logger.ts";
import { type Database, openDatabase } from "../src/store/database.ts";
import { migrate } from "../src/store/migrate.ts";
import { startQueue, type TaskQueue } from "../src/store/queue.ts";
import { fireDueSchedules } from "../src/store/schedule-firing.ts";
import { startScheduler } from "../src/worker/scheduler.ts";
import { startWorker } from "../src/worker/worker.ts";
import type { BenchSection } from "./run.ts";
import { serverUrl, withServerDatabase } from "./server-database.ts";
import { quantile, timings } from "./timing.ts";

const REPOSITORIES = 1_000;
const PER_REPOSITORY = 10;
const DUE_PER_TICK = 100;
/** About what a 15 s tick finds when 10,000 `every: daily` schedules spread over their six-hour window. */
const FEW_DUE = 7;
const TICK_MS = 1_000;

/** 10,000 schedules over 1,000 repositories, their next slots spread over the coming day. */
async function seed(db: Database): Promise<void> {
  await db.query(
    `insert into loopwright.maintained_repositories (repository, installation_id, default_branch, clone_url)
     select 'bench/repo-' || r, 1 + r % 50, 'main', 'https://example.invalid/repo.git'
     from generate_series(1, $1) as r`,
    [REPOSITORIES],
  );
  await db.query(
    `insert into loopwright.schedules (repository, installation_id, name, cron, prompt, next_run_at)
     select 'bench/repo-' || r, 1 + r % 50, 'task-' || s, '0 4 * * *', 'maintain',
       now() + interval '1 minute' + random() * interval '1 day'
     from generate_series(1, $1) as r, generate_series(1, $2) as s`,
    [REPOSITORIES, PER_REPOSITORY],
  );
  await db.query("analyze loopwright.schedules");
}

const dueNow = (db: Database, count: number) =>
  db.query(
    `update loopwright.schedules set next_run_at = now() - interval '1 second'
     where id in (select id from loopwright.schedules where next_run_at > now() order by random() limit $1)`,
    [count],
  );

/** Tick times over `rounds` ticks with `due` schedules made due before each. */
async function tickTimes(db: Database, queue: TaskQueue, due: number, rounds: number): Promise<number[]> {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    await dueNow(db, due);
    const started = performance.now();
    const fired = await fireDueSchedules({ db, queue }, new Date());
    samples.push(performance.now() - started);
    if (fired !== due) throw new Error(`expected ${due} runs, fired ${fired}`);
  }
  return samples.sort((a, b) => a - b);
}

/** Slot to task start: slots a few seconds ahead, a scheduler ticking every second, one idle worker. */
async function slotToStart(db: Database, queue: TaskQueue): Promise<number[]> {
  const log = createLogger({ logLevel: "silent" });
  const worker = await startWorker({
    db,
    queue,
    log,
    concurrency: { interactive: 1, background: 8 },
    repositoryConcurrency: 64,
    handlers: new Map([["maintain", async () => ({ status: "succeeded" as const })]]),
  });
  await db.query(
    `update loopwright.schedules set next_run_at = now() + interval '2 seconds' + (random() * interval '5 seconds')
     where id in (select id from loopwright.schedules where next_run_at > now() + interval '1 minute' limit 40)`,
  );
  const scheduler = await startScheduler({ db, queue, log, tickMs: TICK_MS });
  const started = async () =>
    Number(
      (
        await db.query<{ n: string }>(
          "select count(*) as n from loopwright.tasks where started_at is not null",
        )
      ).rows[0]?.n,
    );
  const deadline = Date.now() + 120_000;
  while ((await started()) < 40) {
    if (Date.now() > deadline) throw new Error("the scheduled runs did not start within two minutes");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await scheduler.stop();
  await worker.stop();
  const { rows } = await db.query<{ ms: number }>(
    `select extract(epoch from (task.started_at - run.slot)) * 1000 as ms
     from loopwright.schedule_runs as run join loopwright.tasks as task on task.id = run.task_id`,
  );
  return rows.map((row) => Number(row.ms)).sort((a, b) => a - b);
}

/** Slot to start first (an empty queue), then ticks with nothing, a few and 100 schedules due. */
async function measure(db: Database, label: string): Promise<string> {
  await migrate(db);
  await seed(db);
  const queue: TaskQueue = await startQueue(db);
  const startLatencies = await slotToStart(db, queue);
  const idle = await timings(() => fireDueSchedules({ db, queue }, new Date()), 50, 3);
  const few = await tickTimes(db, queue, FEW_DUE, 20);
  const burst = await tickTimes(db, queue, DUE_PER_TICK, 10);
  await queue.stop();
  const ms = (value: number) => value.toFixed(1);
  const pair = (samples: number[]) => `${ms(quantile(samples, 0.5))} | ${ms(quantile(samples, 0.95))}`;
  return `| ${label} | ${pair(idle)} | ${pair(few)} | ${pair(burst)} | ${pair(startLatencies)} |`;
}

export default async function (): Promise<BenchSection> {
  const rows = [
    `| database | tick, none due p50 (ms) | p95 | tick, ${FEW_DUE} due p50 (ms) | p95 | tick, ${DUE_PER_TICK} due p50 (ms) | p95 | slot → task start p50 (ms) | p95 |`,
    "|---|---|---|---|---|---|---|---|---|",
  ];
  const embedded = await openDatabase({ dataDir: "memory://" });
  try {
    rows.push(await measure(embedded, "PGlite (embedded)"));
  } finally {
    await embedded.close();
  }
  if (serverUrl) {
    rows.push(
      await withServerDatabase(async (url) => {
        const db = await openDatabase({ url });
        try {
          return await measure(db, "PostgreSQL");
        } finally {
          await db.close();
        }
      }),
    );
  }
  return {
    title: "Scheduler",
    markdown: [
      `${REPOSITORIES * PER_REPOSITORY} schedules over ${REPOSITORIES} repositories. A tick is one transaction: the due-query`,
      "(index on next_run_at of enabled, unpaused schedules, `for update skip locked`), then per due slot its run row,",
      `next slot, task and queue job (${FEW_DUE} due: about what a 15 s tick meets when the schedules are \`every: daily\`,
spread over their six-hour window; ${DUE_PER_TICK} due: a burst, all at one minute). Slot → start: 40 slots`,
      `2–7 s ahead, the scheduler ticking every ${TICK_MS} ms (the default is 15 s: add half of it on average),`,
      "one worker with a handler that returns at once; measured from the slot's time to the task's start.",
      "",
      ...rows,
    ].join("\n"),
  };
}
