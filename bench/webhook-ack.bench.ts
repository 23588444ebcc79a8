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
import { type LoadResult, sendPacedWebhooks, sendWebhookLoad } from "../test/helpers/webhook-load.ts";
import type { BenchSection } from "./run.ts";

const RATES = [1, 50, 200];
const BURST_RATE = 200;
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

const row = (
  name: string,
  rate: number,
  result: LoadResult,
  baselineP50?: number,
  shape: "steady" | "bursts" = "steady",
) =>
  `| ${name} | ${rate}/s ${shape} | ${result.sent} | ${result.accepted} | ${result.p50} | ${result.p99} | ${
    baselineP50 === undefined ? "" : `${(baselineP50 / Math.max(result.p50, 0.1)).toFixed(1)}×`
  } |`;

/** Webhook acknowledgement latency: the inbox (embedded and PostgreSQL) against the synchronous path. */
export default async function (): Promise<BenchSection> {
  const world = await startGitHubWorld({ fixture: "sum", transcript: "fix-sum" });
  const rows: string[] = [];
  const notes: string[] = [];
  try {
    const options = (url: string, rate: number) => ({
      url,
      secret: world.webhookSecret,
      rate,
      seconds: SECONDS,
      event: "issue_comment",
      payload: plainComment(world),
    });
    const load = (url: string, rate: number) => sendPacedWebhooks(options(url, rate));
    // The same rate as bursts: each second's deliveries sent at its top, 50 at a time (autocannon).
    const burst = (url: string) => sendWebhookLoad(options(url, BURST_RATE));
    /** The baseline's p50 per load ("steady:50", "bursts:200"), which the inbox's rows compare with. */
    const baselineP50 = new Map<string, number>();
    /** Every rate steady, then the bursts; the baseline's figures are kept, the others compared with them. */
    const measure = async (name: string, url: string, isBaseline = false) => {
      const loads = [
        ...RATES.map((rate) => ({ rate, shape: "steady" as const })),
        { rate: BURST_RATE, shape: "bursts" as const },
      ];
      const measured: string[] = [];
      for (const { rate, shape } of loads) {
        const result = shape === "steady" ? await load(url, rate) : await burst(url);
        const key = `${shape}:${rate}`;
        if (isBaseline) baselineP50.set(key, result.p50);
        measured.push(row(name, rate, result, isBaseline ? undefined : baselineP50.get(key), shape));
      }
      return measured;
    };
    const baseline = await synchronousBaseline(world);
    try {
      rows.push(...(await measure("before: handlers awaited (Probot middleware)", baseline.url, true)));
    } finally {
      await baseline.close();
    }
    const embedded = await serve(world, {});
    try {
      rows.push(...(await measure("inbox, embedded database", embedded.url)));
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
        rows.push(...(await measure("inbox, PostgreSQL", postgres.url)));
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
      `Signed \`issue_comment\` deliveries (a plain comment, no command) for ${SECONDS} s at each rate, against a fake GitHub on loopback; latency of the HTTP answer in ms. "steady": one delivery every 1/rate s, each sent when due whatever the answers before it (an open loop, as GitHub delivers, so a server that falls behind cannot slow the stream and flatter itself; \`sendPacedWebhooks\`, from a worker thread so the fake GitHub's work cannot delay it). "bursts": autocannon at ${BURST_RATE}/s, which sends each second's share back to back on 50 connections at the top of the second — a backlog arriving at once. "before" is Probot's middleware with Loopwright's handlers awaited before the answer (here: the config read), the way \`serve\` answered before the inbox; the inbox only verifies, stores and enqueues (and, in the same process, takes the stored deliveries in meanwhile). Ratio: before p50 / inbox p50 for the same load. Everything — server, load, fake GitHub, PostgreSQL — shares the machine's 2 cores.`,
      "",
      "| path | load | sent | 2xx | p50 | p99 | faster than before (p50) |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...rows,
      "",
      ...notes,
      "",
    ].join("\n"),
  };
}
