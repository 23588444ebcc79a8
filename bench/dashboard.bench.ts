import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { createLogger } from "../src/logger.ts";
import { type Database, openDatabase } from "../src/store/database.ts";
import { migrate } from "../src/store/migrate.ts";
import { listTaskPage } from "../src/store/task-history.ts";
import { createDashboard } from "../src/web/dashboard.ts";
import { createGitHubUserApi } from "../src/web/github-user.ts";
import type { BenchSection } from "./run.ts";
import { quantile } from "./timing.ts";

const serverUrl = process.env.TEST_DATABASE_URL || process.env.BENCH_DATABASE_URL || undefined;
const LOCAL_TOKEN = "lwl_bench";

/** A throwaway database on the PostgreSQL server, dropped afterwards. */
async function serverDatabase(): Promise<{ db: Database; drop(): Promise<void> }> {
  const name = `lw_bench_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(serverUrl as string);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString() });
  return {
    db,
    async drop() {
      await db.close();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/**
 * `count` finished tasks over 50 repositories and 20 requesters, each with `stepsPerTask` steps (one
 * shell call each, a short output), plus one running task with 300 steps of long output — written
 * with generate_series in a few statements.
 */
async function seed(db: Database, count: number, stepsPerTask: number): Promise<number> {
  await db.query(
    `insert into loopwright.tasks (kind, lane, repository, trigger, requester, status, tokens, created_at)
     select (array['fix', 'review', 'iterate'])[1 + i % 3], 'interactive', 'octo/repo-' || (i % 50), 'comment',
       'user' || (i % 20), case when i % 10 = 0 then 'failed' else 'succeeded' end, i * 10,
       now() - (($1::int - i) || ' seconds')::interval
     from generate_series(1, $1::int) as i`,
    [count],
  );
  if (stepsPerTask > 0) {
    await db.query(
      `insert into loopwright.steps (task_id, attempt, seq, kind, started_at, duration_ms, payload)
       select t.id, 1, s, 'tool_call', t.created_at + s * interval '1 second', 400,
         jsonb_build_object('type', 'tool_call', 'step', s, 'name', 'shell',
           'arguments', '{"command":["npm","test"]}', 'exitCode', s % 2, 'isError', false,
           'durationMs', 400, 'output', 'ok', 'fullOutput', 'ok', 'fullOutputTruncated', false)
       from loopwright.tasks t cross join generate_series(0, $1::int - 1) as s`,
      [stepsPerTask],
    );
  }
  const { rows } = await db.query<{ id: number }>(
    `insert into loopwright.tasks (kind, lane, repository, trigger, requester, status, attempt, started_at)
     values ('fix', 'interactive', 'octo/repo-1', 'comment', 'user1', 'running', 1, now()) returning id`,
  );
  const id = rows[0]?.id as number;
  await db.query(
    `insert into loopwright.steps (task_id, attempt, seq, kind, started_at, duration_ms, payload)
     select $1, 1, s, 'tool_call', now(), 400, ${LONG_STEP_PAYLOAD}
     from generate_series(0, 299) as s`,
    [id],
  );
  await db.query("analyze loopwright.tasks");
  await db.query("analyze loopwright.steps");
  return id;
}

/** A shell call with 40 lines of output, as SQL over the step number `s`. */
const LONG_STEP_PAYLOAD = `jsonb_build_object('type', 'tool_call', 'step', s, 'name', 'shell',
  'arguments', '{"command":["npm","test"]}', 'exitCode', s % 2, 'isError', false, 'durationMs', 400,
  'output', repeat('output line ' || s || E'\\n', 40), 'fullOutput', repeat('output line ' || s || E'\\n', 40),
  'fullOutputTruncated', false)`;

async function timed(times: number, fn: () => Promise<unknown>): Promise<{ median: number; p95: number }> {
  const samples: number[] = [];
  for (let index = 0; index < times; index += 1) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return {
    median: samples[Math.floor(samples.length / 2)] ?? 0,
    p95: samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.95))] ?? 0,
  };
}

const ms = (value: number): string => `${value.toFixed(1)} ms`;

/** A database's size for the table: its tasks and steps. */
type Scale = { tasks: number; stepsPerTask: number };

const LIVE_VIEWERS = 100;
const LIVE_STEPS = 20;
const LIVE_STEP_SPACING_MS = 250;

/**
 * `LIVE_VIEWERS` people watching one running task: each opens its event stream (the dashboard's live
 * updates), then `LIVE_STEPS` steps are written to the task one after another; for every viewer and
 * step, the time from the step's write to its arrival on that viewer's stream.
 */
async function liveViewers(
  db: Database,
  base: string,
  headers: Record<string, string>,
  taskId: number,
): Promise<{ connect: number[]; delivery: number[]; received: number; expected: number }> {
  const written = new Map<string, number>();
  const delivery: number[] = [];
  const connect: number[] = [];
  let received = 0;
  const controller = new AbortController();
  const viewers = Array.from({ length: LIVE_VIEWERS }, async () => {
    const started = performance.now();
    const response = await fetch(`${base}/api/v1/tasks/${taskId}/events?after=1.299`, {
      headers,
      signal: controller.signal,
    });
    connect.push(performance.now() - started);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let seen = 0;
    return {
      async read(): Promise<void> {
        while (seen < LIVE_STEPS) {
          const chunk = await reader.read();
          if (chunk.done) return;
          buffer += decoder.decode(chunk.value, { stream: true });
          for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const id = /^id: (.+)$/m.exec(event)?.[1];
            const at = id === undefined ? undefined : written.get(id);
            if (!event.startsWith("event: step") || at === undefined) continue;
            delivery.push(performance.now() - at);
            received += 1;
            seen += 1;
          }
        }
      },
    };
  });
  const streams = await Promise.all(viewers);
  const reading = Promise.all(streams.map((stream) => stream.read()));
  for (let index = 0; index < LIVE_STEPS; index += 1) {
    const seq = 300 + index;
    written.set(`1.${seq}`, performance.now());
    await db.query(
      `insert into loopwright.steps (task_id, attempt, seq, kind, started_at, duration_ms, payload)
       select $1, 1, s, 'tool_call', now(), 400, ${LONG_STEP_PAYLOAD} from (select $2::int as s) as step`,
      [taskId, seq],
    );
    await new Promise((resolve) => setTimeout(resolve, LIVE_STEP_SPACING_MS));
  }
  // Every step was written; a stream that has not delivered them all by now gives up after 10 s.
  await Promise.race([reading, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  controller.abort();
  return {
    connect: connect.sort((a, b) => a - b),
    delivery: delivery.sort((a, b) => a - b),
    received,
    expected: LIVE_VIEWERS * LIVE_STEPS,
  };
}

async function measure(kind: string, db: Database, scale: Scale): Promise<{ rows: string[]; live: string }> {
  await migrate(db);
  const seeding = performance.now();
  const taskId = await seed(db, scale.tasks, scale.stepsPerTask);
  const seeded = performance.now() - seeding;
  const steps = scale.tasks * scale.stepsPerTask + 300;
  const visible = Array.from({ length: 5 }, (_, index) => `octo/repo-${index}`);
  const rows: string[] = [];
  const row = (what: string, result: { median: number; p95: number }) =>
    rows.push(
      `| ${kind} | ${scale.tasks.toLocaleString("en-US")} | ${steps.toLocaleString("en-US")} | ${what} | ${ms(result.median)} | ${ms(result.p95)} |`,
    );
  row("task list, first page (admin)", await timed(30, () => listTaskPage(db.reader, { limit: 50 })));
  row(
    "task list, a deep page (before = middle id)",
    await timed(30, () => listTaskPage(db.reader, { limit: 50, before: Math.floor(scale.tasks / 2) })),
  );
  row(
    "task list, kind = review, 5 visible repositories",
    await timed(30, () =>
      listTaskPage(db.reader, { limit: 50, kind: "review", visibleRepositories: visible }),
    ),
  );
  row(
    "task list, requester filter",
    await timed(30, () => listTaskPage(db.reader, { limit: 50, requester: "user7" })),
  );

  const server = createServer();
  const dashboard = createDashboard({
    publicUrl: "http://127.0.0.1",
    githubUrl: "https://github.com",
    oauth: true,
    admins: [],
    database: () => db,
    github: createGitHubUserApi({
      apiUrl: "http://127.0.0.1:9/api/v3",
      webUrl: "http://127.0.0.1:9",
      clientId: undefined,
      clientSecret: undefined,
    }),
    key: randomBytes(32),
    localToken: LOCAL_TOKEN,
    log: createLogger({ logLevel: "silent" }),
  });
  server.on("request", async (request, response) => {
    if (!(await dashboard.handler(request, response))) response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const headers = { authorization: `Bearer ${LOCAL_TOKEN}` };
  try {
    // Time to first byte: fetch resolves once the status line and headers have arrived; the body is
    // read after the clock stops.
    const firstByte = async (path: string) => {
      const samples: number[] = [];
      for (let index = 0; index < 30; index += 1) {
        const started = performance.now();
        const response = await fetch(`${base}${path}`, { headers });
        samples.push(performance.now() - started);
        await response.arrayBuffer();
      }
      samples.sort((x, y) => x - y);
      return { median: samples[15] ?? 0, p95: samples[28] ?? 0 };
    };
    row(
      "task page, running task (300 steps), time to first byte",
      await firstByte(`/dashboard/tasks/${taskId}`),
    );
    if (scale.stepsPerTask > 0) {
      const finished = Math.floor(scale.tasks / 2);
      row(
        `task page, finished task (${scale.stepsPerTask} steps), time to first byte`,
        await firstByte(`/dashboard/tasks/${finished}`),
      );
    }
    row("tasks page, time to first byte", await firstByte("/dashboard"));
    const live = await liveViewers(db, base, headers, taskId);
    const quantiles = (values: number[]) =>
      `median ${ms(quantile(values, 0.5))}, p95 ${ms(quantile(values, 0.95))}, max ${ms(values.at(-1) ?? 0)}`;
    const liveLine =
      `- ${kind}: ${LIVE_VIEWERS} viewers of one running task; ${LIVE_STEPS} steps written ${LIVE_STEP_SPACING_MS} ms apart; ` +
      `${live.received} of ${live.expected} step events delivered. Opening a stream: ${quantiles(live.connect)}. ` +
      `From a step's write to its arrival at a viewer: ${quantiles(live.delivery)} (one poller per task, every 1 s, whatever the number of viewers). ` +
      `Seeding took ${(seeded / 1000).toFixed(0)} s.`;
    return { rows, live: liveLine };
  } finally {
    dashboard.close();
    server.closeAllConnections();
    server.close();
  }
}

/**
 * The dashboard's reads at scale: the task list's keyset queries (first page, a deep page, filters),
 * the task and task-list pages' time to first byte, and 100 live viewers of one running task — on
 * PGlite (20,000 tasks) and, with TEST_DATABASE_URL, on PostgreSQL with 100,000 tasks and
 * 5,000,000 steps (target: < 50 ms).
 */
export default async function dashboardBench(): Promise<BenchSection> {
  const lines = [
    "| database | tasks | steps | what | median | p95 |",
    "| --- | ---: | ---: | --- | ---: | ---: |",
  ];
  const live: string[] = [];
  const embedded = await openDatabase({ dataDir: "memory://" });
  try {
    const result = await measure("PGlite", embedded, { tasks: 20_000, stepsPerTask: 5 });
    lines.push(...result.rows);
    live.push(result.live);
  } finally {
    await embedded.close();
  }
  if (serverUrl) {
    const server = await serverDatabase();
    try {
      const result = await measure("PostgreSQL", server.db, { tasks: 100_000, stepsPerTask: 50 });
      lines.push(...result.rows);
      live.push(result.live);
    } finally {
      await server.drop();
    }
  } else {
    lines.push("", "_PostgreSQL not reachable (set TEST_DATABASE_URL): server rows skipped._");
  }
  return { title: "Dashboard", markdown: [...lines, "", "Live step logs:", "", ...live].join("\n") };
}
