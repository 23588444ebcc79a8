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

/** `count` finished tasks over 50 repositories and 20 requesters, plus one running task with 300 steps. */
async function seed(db: Database, count: number): Promise<number> {
  await db.query(
    `insert into loopwright.tasks (kind, lane, repository, trigger, requester, status, tokens, created_at)
     select (array['fix', 'review', 'iterate'])[1 + i % 3], 'interactive', 'octo/repo-' || (i % 50), 'comment',
       'user' || (i % 20), case when i % 10 = 0 then 'failed' else 'succeeded' end, i * 10,
       now() - (($1::int - i) || ' seconds')::interval
     from generate_series(1, $1::int) as i`,
    [count],
  );
  const { rows } = await db.query<{ id: number }>(
    `insert into loopwright.tasks (kind, lane, repository, trigger, requester, status, attempt, started_at)
     values ('fix', 'interactive', 'octo/repo-1', 'comment', 'user1', 'running', 1, now()) returning id`,
  );
  const id = rows[0]?.id as number;
  await db.query(
    `insert into loopwright.steps (task_id, attempt, seq, kind, started_at, duration_ms, payload)
     select $1, 1, s, 'tool_call', now(), 400, jsonb_build_object('name', 'shell',
       'arguments', '{"command":["npm","test"]}', 'exitCode', s % 2, 'isError', false, 'durationMs', 400,
       'fullOutput', repeat('output line ' || s || E'\\n', 40))
     from generate_series(0, 299) as s`,
    [id],
  );
  return id;
}

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

async function measure(kind: string, db: Database, count: number): Promise<string[]> {
  await migrate(db);
  const taskId = await seed(db, count);
  const visible = Array.from({ length: 5 }, (_, index) => `octo/repo-${index}`);
  const rows: string[] = [];
  const row = (what: string, result: { median: number; p95: number }) =>
    rows.push(
      `| ${kind} | ${count.toLocaleString("en-US")} | ${what} | ${ms(result.median)} | ${ms(result.p95)} |`,
    );
  row("task list, first page (admin)", await timed(30, () => listTaskPage(db.reader, { limit: 50 })));
  row(
    "task list, a deep page (before = middle id)",
    await timed(30, () => listTaskPage(db.reader, { limit: 50, before: Math.floor(count / 2) })),
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
    row("task page (300 steps), time to first byte", await firstByte(`/dashboard/tasks/${taskId}`));
    row("tasks page, time to first byte", await firstByte("/dashboard"));
  } finally {
    dashboard.close();
    server.closeAllConnections();
    server.close();
  }
  return rows;
}

/**
 * The dashboard's reads with many tasks: the task list's keyset queries (first page, a deep page,
 * filters) and the task and task-list pages' response times, on PGlite and, with TEST_DATABASE_URL,
 * on PostgreSQL.
 */
export default async function dashboardBench(): Promise<BenchSection> {
  const lines = ["| database | tasks | what | median | p95 |", "| --- | ---: | --- | ---: | ---: |"];
  const embedded = await openDatabase({ dataDir: "memory://" });
  try {
    lines.push(...(await measure("PGlite", embedded, 20_000)));
  } finally {
    await embedded.close();
  }
  if (serverUrl) {
    const server = await serverDatabase();
    try {
      lines.push(...(await measure("PostgreSQL", server.db, 200_000)));
    } finally {
      await server.drop();
    }
  } else {
    lines.push("", "_PostgreSQL not reachable (set TEST_DATABASE_URL): server rows skipped._");
  }
  return { title: "Dashboard", markdown: lines.join("\n") };
}
