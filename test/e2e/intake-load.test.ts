import path from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/database.ts";
import { cleanEnv, type RunningCli, startCli, waitForHttp } from "../helpers/cli-process.ts";
import { freePort } from "../helpers/free-port.ts";
import { type GitHubWorld, startGitHubWorld } from "../helpers/github-world.ts";
import { createServerDatabase, serverUrl } from "../helpers/test-database.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { sendWebhookLoad } from "../helpers/webhook-load.ts";

const RATE = 200;
const SECONDS = 30;
const PING = { zen: "Keep it logically awesome.", hook_id: 1, installation: { id: 1 } };

// 200 deliveries a second for 30 seconds at one `loopwright serve`: every one stored, none twice.
describe("the webhook inbox under load", () => {
  let world: GitHubWorld | undefined;
  let server: RunningCli | undefined;
  afterEach(async () => {
    server?.child.kill("SIGKILL");
    await server?.exited;
    await world?.close();
    server = undefined;
    world = undefined;
  });

  async function load(port: number) {
    const result = await sendWebhookLoad({
      url: `http://127.0.0.1:${port}/api/github/webhooks`,
      secret: world!.webhookSecret,
      rate: RATE,
      seconds: SECONDS,
      event: "ping",
      payload: PING,
      // What this test proves is that nothing is lost or doubled; how fast the answers come is the
      // benchmark's business (a loaded machine may be slow to answer a few).
      timeoutSeconds: 120,
    });
    // Every answer was a 202; requests still in flight when the load stopped have no answer counted.
    // How many got through in the time (a loaded machine answers fewer) is the benchmark's business.
    expect(result.errors).toBe(0);
    expect(result.other).toBe(0);
    expect(result.accepted).toBeGreaterThan(0);
    return result;
  }

  it("embedded database: every delivery is stored once", { timeout: 400_000 }, async () => {
    world = await startGitHubWorld({ fixture: "sum", transcript: "fix-sum" });
    const port = await freePort();
    server = startCli(["serve"], { env: cleanEnv(world.env({ PORT: String(port), LOG_LEVEL: "error" })) });
    await waitForHttp(`http://127.0.0.1:${port}/ready`, server, { status: 200 });
    const result = await load(port);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    server = undefined;
    const db = await openDatabase({ dataDir: path.join(world.env().LOOPWRIGHT_DATA_DIR ?? "", "db") });
    try {
      const { rows } = await db.query<{ stored: number; distinct_ids: number }>(
        `select count(*)::int as stored, count(distinct delivery_id)::int as distinct_ids
         from loopwright.webhook_deliveries where delivery_id = any($1::text[])`,
        [result.deliveryIds],
      );
      const stored = rows[0]?.stored ?? 0;
      // Every answered delivery is stored (and those still in flight when the load stopped may be too).
      expect(stored).toBeGreaterThanOrEqual(result.accepted);
      expect(stored).toBeLessThanOrEqual(result.sent);
      expect(rows[0]?.distinct_ids).toBe(stored);
    } finally {
      await db.close();
    }
  });

  it.skipIf(!serverUrl)(
    "PostgreSQL: every delivery is stored and taken in exactly once",
    { timeout: 400_000 },
    async () => {
      world = await startGitHubWorld({ fixture: "sum", transcript: "fix-sum" });
      const database = await createServerDatabase();
      const client = new pg.Client({ connectionString: database.url });
      try {
        const port = await freePort();
        server = startCli(["serve"], {
          env: cleanEnv(world.env({ PORT: String(port), LOG_LEVEL: "error", DATABASE_URL: database.url })),
        });
        await waitForHttp(`http://127.0.0.1:${port}/ready`, server, { status: 200 });
        const result = await load(port);
        await client.connect();
        const counts = await waitFor(
          async () => {
            const { rows } = await client.query<{ stored: number; handled: number }>(
              `select count(*)::int as stored, count(*) filter (where outcome = 'handled')::int as handled
               from loopwright.webhook_deliveries where delivery_id = any($1::text[])`,
              [result.deliveryIds],
            );
            const row = rows[0];
            return row && row.stored === row.handled && row;
          },
          300_000,
          "every stored delivery taken in",
        );
        // Every answered delivery is stored (those still in flight when the load stopped may be too).
        expect(counts.stored).toBeGreaterThanOrEqual(result.accepted);
        // One intake job per stored delivery: nothing was taken in twice.
        const { rows } = await client.query<{ jobs: number; deliveries: number }>(
          `select count(*)::int as jobs, count(distinct data->>'deliveryId')::int as deliveries
           from pgboss.job where name = 'loopwright-intake'`,
        );
        expect(rows[0]).toEqual({ jobs: counts.stored, deliveries: counts.stored });
      } finally {
        await client.end().catch(() => {});
        server?.child.kill("SIGKILL");
        await server?.exited;
        server = undefined;
        await database.drop();
      }
    },
  );
});
