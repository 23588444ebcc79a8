import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pino } from "pino";
import { createNodeMiddleware, Probot } from "probot";
import { createApp } from "../src/index.ts";
import { openDatabase } from "../src/store/database.ts";
import { cleanEnv, type RunningCli, startCli, waitForHttp } from "../test/helpers/cli-process.ts";
import { freePort } from "../test/helpers/free-port.ts";
import { commentPayload, type GitHubWorld, startGitHubWorld } from "../test/helpers/github-world.ts";
import { createServerDatabase, serverUrl } from "../test/helpers/test-database.ts";
import { type LoadResult, sendWebhookLoad } from "../test/helpers/webhook-load.ts";
import type { BenchSection } from "./run.ts";

const RATES = [1, 50, 200];
const SECONDS = Number(process.env.BENCH_ACK_SECONDS ?? 10);

/** A plain comment on an issue (no command): the handlers read the repository's config, then ignore it. */
const plainComment = (world: GitHubWorld) => commentPayload(world, "Thanks, looks good to me.");

/**
 * The baseline, measured in the same run: Probot's own webhook middleware with Loopwright's
 * handlers awaited before the answer (what `serve` did before the inbox), against the same fake GitHub.
 */
async function synchronousBaseline(world: GitHubWorld): Promise<{ url: string; close(): Promise<void> }> {
  const probot = new Probot({
    appId: 1,
    privateKey: world.privateKey,
    secret: world.webhookSecret,
    baseUrl: world.github.baseUrl,
    log: pino({ level: "silent" }),
  });
  const app = createApp({
    submitTask: async () => ({ taskId: 1, created: true }),
    cancelTasks: async () => 0,
    tokensToday: async () => 0,
  });
  const middleware = await createNodeMiddleware(app, { probot, webhooksPath: "/api/github/webhooks" });
  const server = createServer((request, response) => {
    void middleware(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function serve(
  world: GitHubWorld,
  extra: Record<string, string>,
): Promise<{ url: string; server: RunningCli }> {
  const port = await freePort();
  const server = startCli(["serve"], {
    env: cleanEnv(world.env({ PORT: String(port), LOG_LEVEL: "error", ...extra })),
  });
  await waitForHttp(`http://127.0.0.1:${port}/ready`, server, { status: 200 });
  return { url: `http://127.0.0.1:${port}/api/github/webhooks`, server };
}

/** Gives the intake time to take in what the load stored (a bench may wait; a test may not). */
const drain = () => new Promise((resolve) => setTimeout(resolve, 20_000));

/**
 * How long the deliveries waited between being stored (the 202) and being taken in — for a command,
 * when its task was created — read from the inbox table once the intake has had time to drain.
 */
async function intakeLag(name: string, where: { url: string } | { dataDir: string }): Promise<string> {
  const db = await openDatabase(where);
  try {
    const { rows } = await db.query<{ p50: number; p99: number; processed: number; stored: number }>(
      `select percentile_cont(0.5) within group (order by extract(epoch from processed_at - received_at) * 1000) as p50,
              percentile_cont(0.99) within group (order by extract(epoch from processed_at - received_at) * 1000) as p99,
              count(processed_at)::int as processed, count(*)::int as stored
       from loopwright.webhook_deliveries`,
    );
    const lag = rows[0];
    return lag
      ? `Delivery stored → taken in (${name}, all rates together): p50 ${Math.round(lag.p50)} ms, p99 ${Math.round(lag.p99)} ms; ${lag.processed} of ${lag.stored} taken in when measured.`
      : `Delivery stored → taken in (${name}): nothing stored.`;
  } finally {
    await db.close();
  }
}

const row = (name: string, rate: number, result: LoadResult, baselineP50?: number) =>
  `| ${name} | ${rate}/s | ${result.sent} | ${result.accepted} | ${result.p50} | ${result.p99} | ${
    baselineP50 === undefined ? "" : `${(baselineP50 / Math.max(result.p50, 0.1)).toFixed(1)}×`
  } |`;

/** Webhook acknowledgement latency: the inbox (embedded and PostgreSQL) against the synchronous path. */
export default async function (): Promise<BenchSection> {
  const world = await startGitHubWorld({ fixture: "sum", transcript: "fix-sum" });
  const rows: string[] = [];
  const notes: string[] = [];
  try {
    const load = (url: string, rate: number) =>
      sendWebhookLoad({
        url,
        secret: world.webhookSecret,
        rate,
        seconds: SECONDS,
        event: "issue_comment",
        payload: plainComment(world),
      });
    const baseline = await synchronousBaseline(world);
    const baselineP50 = new Map<number, number>();
    try {
      for (const rate of RATES) {
        const result = await load(baseline.url, rate);
        baselineP50.set(rate, result.p50);
        rows.push(row("before: handlers awaited (Probot middleware)", rate, result));
      }
    } finally {
      await baseline.close();
    }
    const embedded = await serve(world, {});
    try {
      for (const rate of RATES)
        rows.push(
          row("inbox, embedded database", rate, await load(embedded.url, rate), baselineP50.get(rate)),
        );
      await drain();
    } finally {
      embedded.server.child.kill("SIGTERM");
      await embedded.server.exited;
    }
    notes.push(
      await intakeLag("embedded", { dataDir: path.join(world.env().LOOPWRIGHT_DATA_DIR ?? "", "db") }),
    );
    if (serverUrl) {
      const database = await createServerDatabase();
      const postgres = await serve(world, { DATABASE_URL: database.url });
      try {
        for (const rate of RATES)
          rows.push(row("inbox, PostgreSQL", rate, await load(postgres.url, rate), baselineP50.get(rate)));
        await drain();
        notes.push(await intakeLag("PostgreSQL", { url: database.url }));
      } finally {
        postgres.server.child.kill("SIGTERM");
        await postgres.server.exited;
        await database.drop();
      }
    } else {
      notes.push("PostgreSQL rows skipped: TEST_DATABASE_URL is not set.");
    }
  } finally {
    await world.close();
  }
  return {
    title: "Webhook acknowledgement: the inbox against handlers awaited on the request path",
    markdown: [
      `Signed \`issue_comment\` deliveries (a plain comment, no command) for ${SECONDS} s at each rate (autocannon), against a fake GitHub on loopback; latency of the HTTP answer in ms. "before" is Probot's middleware with Loopwright's handlers awaited before the answer (here: the config read), the way \`serve\` answered before the inbox; the inbox only verifies, stores and enqueues. Ratio: before p50 / inbox p50 at the same rate.`,
      "",
      "| path | rate | sent | 2xx | p50 | p99 | faster than before (p50) |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...rows,
      "",
      ...notes,
      "",
    ].join("\n"),
  };
}
