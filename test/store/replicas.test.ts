import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.ts";
import { type Database, openDatabase } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { startQueue } from "../../src/store/queue.ts";
import { findTask, readerAfter, replicaLag, writePosition } from "../../src/store/read-your-writes.ts";
import { createTask, getTask, startAttempt } from "../../src/store/tasks.ts";
import { createMetrics } from "../../src/web/metrics.ts";
import { startWorker } from "../../src/worker/worker.ts";
import {
  clusterUnavailable,
  type PostgresCluster,
  startPostgresCluster,
} from "../helpers/postgres-cluster.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { startDashboardServer } from "../web/helpers/dashboard-server.ts";
import { startFakeGitHubUsers } from "../web/helpers/fake-github-users.ts";

const unavailable = clusterUnavailable();
if (unavailable) console.warn(`replica tests skipped: ${unavailable}`);

// A real primary, streaming replica and PgBouncer (transaction mode): reads that must see a write, the
// lag metric, and the queue through the pooler with LISTEN on a direct connection.
describe.skipIf(unavailable !== undefined)("reads on a replica, writes through PgBouncer", () => {
  let cluster: PostgresCluster;
  let db: Database;
  let replicaAdmin: pg.Client;
  const log = createLogger({ logLevel: "silent" });

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    db = await openDatabase({
      url: cluster.bouncer.url,
      readUrl: cluster.replica.url,
      listenUrl: cluster.primary.url,
    });
    await migrate(db);
    await cluster.caughtUp(cluster.replica);
    replicaAdmin = new pg.Client({ connectionString: cluster.replica.url });
    await replicaAdmin.connect();
  }, 180_000);

  afterAll(async () => {
    await replicaAdmin?.query("select pg_wal_replay_resume()").catch(() => {});
    await replicaAdmin?.end().catch(() => {});
    await db?.close();
    await cluster?.stop();
  });

  const submit = (repository: string) => createTask(db, { kind: "fix", repository, trigger: "cli" });

  it("reads a just-made write from the replica once it has replayed it", async () => {
    const { task } = await submit("o/caught-up");
    const position = await writePosition(db);
    expect(position).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    const fresh = await readerAfter(db, position, { maxWaitMs: 30_000 });
    expect(fresh.source).toBe("replica");
    expect(await getTask(fresh.reader, task.id)).toMatchObject({ id: task.id, repository: "o/caught-up" });
  });

  it("falls back to the primary when the replica stays behind, and reports the lag", async () => {
    await replicaAdmin.query("select pg_wal_replay_pause()");
    await waitFor(async () => {
      const { rows } = await replicaAdmin.query<{ state: string }>(
        "select pg_get_wal_replay_pause_state() as state",
      );
      return rows[0]?.state === "paused";
    });
    try {
      const { task } = await submit("o/behind");
      const position = await writePosition(db);
      const started = Date.now();
      const fresh = await readerAfter(db, position, { maxWaitMs: 300 });
      expect(fresh.source).toBe("primary");
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(await getTask(fresh.reader, task.id)).toMatchObject({ id: task.id });
      // The replica does not have it; the task page's lookup finds it on the primary.
      expect(await getTask(db.reader, task.id)).toBeUndefined();
      expect(await findTask(db, task.id)).toMatchObject({ id: task.id, repository: "o/behind" });
      expect(await findTask(db, 987_654)).toBeUndefined();

      const lag = await replicaLag(db);
      expect(lag?.bytes).toBeGreaterThan(0);
      expect(lag?.seconds).toBeGreaterThan(0);
      const metrics = createMetrics({
        webhookPath: "/api/github/webhooks",
        token: undefined,
        reader: () => undefined,
        replicaLag: () => replicaLag(db),
        log,
      });
      await metrics.sample();
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/^loopwright_replica_lag_bytes [1-9]\d*$/m);
      expect(text).toMatch(/^loopwright_replica_lag_seconds \d/m);
    } finally {
      await replicaAdmin.query("select pg_wal_replay_resume()");
    }
    await cluster.caughtUp(cluster.replica);
    expect(await replicaLag(db)).toEqual({ bytes: 0, seconds: 0 });
  });

  it("shows a task stopped from the dashboard as stopping, read after the stop, while the replica lags", async () => {
    const fake = await startFakeGitHubUsers([]);
    const localToken = "lwl_replicaTestAdministrator";
    const server = await startDashboardServer(fake, { localToken, sharedDb: db });
    const { task } = await submit("o/stopped");
    await startAttempt(db, task.id, "host:1");
    await cluster.caughtUp(cluster.replica);
    await replicaAdmin.query("select pg_wal_replay_pause()");
    try {
      const headers = { authorization: `Bearer ${localToken}` };
      const stopped = await fetch(`${server.url}/dashboard/tasks/${task.id}/stop`, {
        method: "POST",
        redirect: "manual",
        headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
        body: "",
      });
      expect(stopped.status).toBe(303);
      const location = stopped.headers.get("location") ?? "";
      expect(location).toMatch(new RegExp(`^/dashboard/tasks/${task.id}\\?after=[0-9A-F]+%2F[0-9A-F]+$`));
      // The replica still says the task runs, no stop asked; the page the stop leads to does not.
      expect((await getTask(db.reader, task.id))?.cancelRequested).toBe(false);
      const page = await (await fetch(`${server.url}${location}`, { headers })).text();
      expect(page).toContain("Stopping…");
      // Without the position (or with a malformed one), the page reads the lagging replica.
      for (const stale of [`/dashboard/tasks/${task.id}`, `/dashboard/tasks/${task.id}?after=1');drop`]) {
        expect(await (await fetch(`${server.url}${stale}`, { headers })).text()).not.toContain("Stopping…");
      }
    } finally {
      await replicaAdmin.query("select pg_wal_replay_resume()");
      await server.close();
      await fake.close();
    }
  });

  it("treats a read server that is not a replica as behind: the primary answers", async () => {
    const other = await openDatabase({ url: cluster.bouncer.url, readUrl: cluster.primary.url });
    try {
      const position = await writePosition(other);
      const fresh = await readerAfter(other, position, { maxWaitMs: 5_000 });
      expect(fresh.source).toBe("primary");
      expect(await replicaLag(other)).toBeUndefined();
    } finally {
      await other.close();
    }
  });

  it("runs the queue with LISTEN off: workers find jobs by polling", async () => {
    const polling = await openDatabase({ url: cluster.bouncer.url, listenUrl: false });
    const queue = await startQueue(polling);
    const worker = await startWorker({
      db: polling,
      queue,
      log,
      handlers: new Map([["submit", async () => ({ status: "succeeded" as const })]]),
    });
    try {
      const { task } = await queue.submit({ kind: "submit", repository: "o/polled", trigger: "cli" });
      await waitFor(async () => (await getTask(polling, task.id))?.status === "succeeded", 60_000);
    } finally {
      await worker.stop();
      await queue.stop();
      await polling.close();
    }
  });

  it("runs the queue through PgBouncer with LISTEN on the direct connection", async () => {
    const queue = await startQueue(db, { heartbeatSeconds: 10 });
    const ran: number[] = [];
    const worker = await startWorker({
      db,
      queue,
      log,
      handlers: new Map([
        [
          "submit",
          async ({ task, steps }) => {
            for (let seq = 0; seq < 40; seq += 1) void steps.record({ kind: "tool_call", payload: { seq } });
            ran.push(task.id);
            return { status: "succeeded" as const };
          },
        ],
      ]),
    });
    try {
      const primary = new pg.Client({ connectionString: cluster.primary.url });
      await primary.connect();
      try {
        const listening = await waitFor(async () => {
          const { rows } = await primary.query<{ query: string }>(
            "select query from pg_stat_activity where application_name = 'loopwright queue listener'",
          );
          // Its last statement: the LISTEN itself, or the heartbeat that checks it still holds.
          return rows.find((row) => /LISTEN|pg_listening_channels/i.test(row.query));
        }, 30_000);
        expect(listening.query).toMatch(/LISTEN|pg_listening_channels/i);
      } finally {
        await primary.end();
      }
      const submitted = await Promise.all(
        [1, 2, 3].map((n) => queue.submit({ kind: "submit", repository: `o/queued-${n}`, trigger: "cli" })),
      );
      const ids = submitted.map((result) => result.task.id);
      await waitFor(async () => {
        const tasks = await Promise.all(ids.map((id) => getTask(db, id)));
        return tasks.every((task) => task?.status === "succeeded");
      }, 60_000);
      expect(ran.sort()).toEqual([...ids].sort());
      // The worker stored every step before it finished the task, in order.
      const { rows } = await db.query<{ task_id: number; n: number; max: number }>(
        `select task_id, count(*)::int as n, max(seq)::int as max from loopwright.steps
         where task_id = any($1::int[]) group by task_id`,
        [ids],
      );
      expect(rows.map((row) => [row.n, row.max])).toEqual(ids.map(() => [40, 39]));
    } finally {
      await worker.stop();
      await queue.stop();
    }
  });
});
