import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { createLogger } from "../src/logger.ts";
import { type Database, openDatabase } from "../src/store/database.ts";
import { migrate } from "../src/store/migrate.ts";
import { startQueue } from "../src/store/queue.ts";
import { replicaLag } from "../src/store/read-your-writes.ts";
import type { TaskHandler } from "../src/worker/task-handler.ts";
import { startWorker } from "../src/worker/worker.ts";
import {
  clusterUnavailable,
  type PostgresCluster,
  startPostgresCluster,
} from "../test/helpers/postgres-cluster.ts";
import type { BenchSection } from "./run.ts";
import { quantile } from "./timing.ts";

const TASKS = 20;
const MODEL_TURNS = 20;
const SCALING_TASKS = 400;
const workerEntry = path.join(import.meta.dirname, "queue-worker.ts");

/** Every statement this process sends (one round trip each) and the rows they wrote. */
const traffic = { statements: 0, rowsWritten: 0 };
function countRows(value: pg.QueryResult | pg.QueryResult[] | undefined): void {
  for (const part of Array.isArray(value) ? value : [value]) {
    if (part && /^(INSERT|UPDATE|DELETE)$/.test(part.command ?? ""))
      traffic.rowsWritten += part.rowCount ?? 0;
  }
}
const clientQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
  traffic.statements += 1;
  // pg.Pool passes a callback; direct callers get a promise.
  const last = args.length - 1;
  const callback = args[last];
  if (typeof callback === "function") {
    args[last] = (error: Error | null, result: pg.QueryResult) => {
      if (!error) countRows(result);
      callback(error, result);
    };
  }
  const result = clientQuery.apply(this, args);
  if (result instanceof Promise) result.then(countRows, () => {});
  return result;
} as typeof pg.Client.prototype.query;

/** A tool output, model answer and transcript line of typical size (a few KB). */
const toolOutput = `${"src/lib/module.ts:42: export function handler(input: Request) {\n".repeat(30)}`;
const transcriptLine = JSON.stringify({
  output: [{ type: "function_call", name: "shell", arguments: JSON.stringify({ command: "npm test" }) }],
  usage: { input_tokens: 12_000, output_tokens: 300 },
  reasoning: "x".repeat(1500),
});

/**
 * A 40-step task as the agent session records it: per model turn a `model_turn` step, its transcript
 * line and its tokens, then a `tool_call` step. `awaitEachStep` waits for every step's write before
 * going on (one insert per step, how steps were written before batching); otherwise the steps are
 * left to the recorder, which shares one insert among those that arrive while a write is in flight.
 */
function typicalTask(awaitEachStep: boolean): TaskHandler {
  return async ({ steps, transcript, addTokens }) => {
    for (let turn = 0; turn < MODEL_TURNS; turn += 1) {
      const modelStep = steps.record({
        kind: "model_turn",
        durationMs: 900,
        payload: {
          type: "model_turn",
          step: turn,
          model: "gpt-5-codex",
          usage: { input: 12_000, output: 300 },
        },
      });
      if (awaitEachStep) await modelStep;
      await transcript.append(transcriptLine);
      await addTokens(12_300);
      const toolStep = steps.record({
        kind: "tool_call",
        durationMs: 150,
        payload: { type: "tool_call", name: "shell", argv: ["npm", "test"], exitCode: 0, output: toolOutput },
      });
      if (awaitEachStep) await toolStep;
    }
    return { status: "succeeded" };
  };
}

async function walPosition(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ lsn: string }>("select pg_current_wal_lsn()::text as lsn");
  return rows[0]!.lsn;
}

async function walBytesSince(client: pg.Client, from: string): Promise<number> {
  const { rows } = await client.query<{ bytes: string }>(
    "select pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::text as bytes",
    [from],
  );
  return Number(rows[0]!.bytes);
}

async function freshDatabase(cluster: PostgresCluster, name: string) {
  const admin = new pg.Client({ connectionString: cluster.primary.url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  await cluster.caughtUp(cluster.cascade);
  const on = (url: string) => url.replace(/\/postgres$/, `/${name}`);
  return {
    bouncer: on(cluster.bouncer.url),
    primary: on(cluster.primary.url),
    replica: on(cluster.replica.url),
    cascade: on(cluster.cascade.url),
  };
}

/** Lag samples of one replica, sorted. */
type Lag = { bytes: number[]; seconds: number[] };

type Cost = { statements: number; rows: number; walBytes: number; ms: number };

/** Per task: statements (round trips), rows written and WAL bytes, running TASKS tasks one by one. */
async function measureTaskCost(db: Database, primary: pg.Client, awaitEachStep: boolean): Promise<Cost> {
  const queue = await startQueue(db);
  const log = createLogger({ logLevel: "silent" });
  const worker = await startWorker({
    db,
    queue,
    log,
    cancelPollMs: 60_000,
    handlers: new Map([["submit", typicalTask(awaitEachStep)]]),
  });
  try {
    const wal = await walPosition(primary);
    const before = { ...traffic };
    const started = performance.now();
    let polls = 0;
    for (let index = 0; index < TASKS; index += 1) {
      const { task } = await queue.submit({ kind: "submit", repository: "bench/cost", trigger: "cli" });
      for (;;) {
        polls += 1;
        const { rows } = await primary.query<{ status: string }>(
          "select status from loopwright.tasks where id = $1",
          [task.id],
        );
        if (rows[0]?.status === "succeeded") break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    const ms = performance.now() - started;
    const walBytes = await walBytesSince(primary, wal);
    return {
      // The bench's own status polls are not the task's cost.
      statements: (traffic.statements - before.statements - polls) / TASKS,
      rows: (traffic.rowsWritten - before.rowsWritten) / TASKS,
      walBytes: walBytes / TASKS,
      ms: ms / TASKS,
    };
  } finally {
    await worker.stop();
    await queue.stop();
  }
}

/** Tasks per second with `processes` worker processes through PgBouncer, and the replica's lag meanwhile. */
async function measureScaling(
  cluster: PostgresCluster,
  processes: number,
): Promise<{ perSecond: number; lag: Lag; cascadeLag: Lag }> {
  const urls = await freshDatabase(cluster, `lw_scale_${processes}`);
  const db = await openDatabase({ url: urls.bouncer, readUrl: urls.replica, listenUrl: urls.primary });
  const cascadeDb = await openDatabase({ url: urls.primary, readUrl: urls.cascade, poolSize: 1 });
  await migrate(db);
  const queue = await startQueue(db);
  for (let index = 0; index < SCALING_TASKS; index += 10) {
    await Promise.all(
      Array.from({ length: 10 }, (_, offset) =>
        queue.submit({
          kind: "noop",
          lane: "interactive",
          repository: `bench/r${(index + offset) % 64}`,
          trigger: "cli",
        }),
      ),
    );
  }
  const children: ChildProcess[] = [];
  const lag: Lag = { bytes: [], seconds: [] };
  const cascadeLag: Lag = { bytes: [], seconds: [] };
  const sample = async (from: Database, into: Lag) => {
    const measured = await replicaLag(from);
    if (!measured) return;
    into.bytes.push(measured.bytes);
    into.seconds.push(measured.seconds);
  };
  const started = performance.now();
  for (let index = 0; index < processes; index += 1) {
    children.push(
      spawn(process.execPath, [workerEntry], {
        env: { ...process.env, DATABASE_URL: urls.bouncer, DATABASE_LISTEN_URL: urls.primary },
        stdio: "ignore",
      }),
    );
  }
  for (;;) {
    const { rows } = await db.query<{ n: number }>(
      "select count(*)::int as n from loopwright.tasks where status = 'succeeded'",
    );
    await Promise.all([sample(db, lag), sample(cascadeDb, cascadeLag)]);
    if ((rows[0]?.n ?? 0) >= SCALING_TASKS) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const perSecond = SCALING_TASKS / ((performance.now() - started) / 1000);
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(children.map((child) => new Promise((resolve) => child.on("exit", resolve))));
  await queue.stop();
  await Promise.all([db.close(), cascadeDb.close()]);
  for (const samples of [lag, cascadeLag]) {
    samples.bytes.sort((a, b) => a - b);
    samples.seconds.sort((a, b) => a - b);
  }
  return { perSecond, lag, cascadeLag };
}

/**
 * What a task costs the primary, on a throwaway primary + streaming replica + PgBouncer (transaction
 * mode): per 40-step task, statements sent (round trips), rows written and WAL bytes, with step
 * writes awaited one by one (before batching) and left to the recorder's group commit (after); then
 * trivial tasks per second with 1, 2 and 4 worker processes through PgBouncer, with the replica's
 * lag sampled meanwhile.
 *
 * @example
 * // node bench/run.ts write-cost
 */
export default async function writeCostBench(): Promise<BenchSection> {
  const title = "Write cost per task, workers through PgBouncer, replica lag";
  const unavailable = clusterUnavailable();
  if (unavailable) return { title, markdown: `_Skipped: ${unavailable}._` };
  const cluster = await startPostgresCluster();
  try {
    const urls = await freshDatabase(cluster, "lw_cost");
    const db = await openDatabase({ url: urls.bouncer, readUrl: urls.replica, listenUrl: urls.primary });
    const primary = new pg.Client({ connectionString: urls.primary });
    await primary.connect();
    let costs: { label: string; cost: Cost }[];
    try {
      await migrate(db);
      costs = [
        {
          label: "each step awaited (one insert per step, before)",
          cost: await measureTaskCost(db, primary, true),
        },
        {
          label: "steps left to the recorder (group commit, after)",
          cost: await measureTaskCost(db, primary, false),
        },
      ];
    } finally {
      await primary.end();
      await db.close();
    }
    const scaling: string[] = [];
    for (const processes of [1, 2, 4]) {
      const result = await measureScaling(cluster, processes);
      const kb = (bytes: number) => (bytes / 1024).toFixed(1);
      const cells = (samples: Lag) =>
        `${kb(quantile(samples.bytes, 0.5))} / ${kb(quantile(samples.bytes, 1))} | ${quantile(samples.seconds, 0.5).toFixed(3)} / ${quantile(samples.seconds, 1).toFixed(3)}`;
      scaling.push(
        `| ${processes} | ${result.perSecond.toFixed(1)} | ${cells(result.lag)} | ${cells(result.cascadeLag)} |`,
      );
    }
    const round = (value: number) => value.toFixed(1);
    return {
      title,
      markdown: [
        `A throwaway PostgreSQL primary with a streaming replica, a cascading replica and PgBouncer (transaction mode)`,
        `on this machine. ${TASKS} tasks, one at a time, each ${MODEL_TURNS} model turns = ${2 * MODEL_TURNS} steps`,
        `(model_turn + tool_call with a 2 KB output), ${MODEL_TURNS} transcript lines (2 KB) and ${MODEL_TURNS} token updates;`,
        "the handler emits them back to back (no model or tool time), the best case for batching.",
        "Statements are every query this process sent to the primary (pg-boss's included; one round trip each),",
        "rows are those its INSERT/UPDATE/DELETE statements reported, WAL is `pg_current_wal_lsn()` before/after.",
        "",
        "| per task | statements (round trips) | rows written | WAL bytes | ms per task |",
        "|---|---:|---:|---:|---:|",
        ...costs.map(
          ({ label, cost }) =>
            `| ${label} | ${round(cost.statements)} | ${round(cost.rows)} | ${Math.round(cost.walBytes).toLocaleString("en-US")} | ${round(cost.ms)} |`,
        ),
        "",
        `${SCALING_TASKS} trivial tasks (no steps) drained by N \`bench/queue-worker.ts\` processes through PgBouncer`,
        "(LISTEN on a direct connection), start-up included; the lag of the replica and of the cascading replica (a replica of the replica) sampled every 100 ms meanwhile.",
        "Two cores run the primary, the replica, PgBouncer and the workers: the cores, not the database, cap this.",
        "",
        "| worker processes | tasks/s | replica lag p50 / max (KB) | p50 / max (s) | cascading replica lag p50 / max (KB) | p50 / max (s) |",
        "|---|---:|---:|---:|---:|---:|",
        ...scaling,
      ].join("\n"),
    };
  } finally {
    await cluster.stop();
  }
}
