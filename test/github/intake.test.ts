import nock from "nock";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitHubApiError } from "../../src/github/errors.ts";
import { processDelivery } from "../../src/github/intake.ts";
import { askForMissedDeliveries } from "../../src/github/missed-deliveries.ts";
import { type Database, openDatabase } from "../../src/store/database.ts";
import { acceptDeliveries, getDelivery, pruneDeliveries } from "../../src/store/inbox.ts";
import { migrate } from "../../src/store/migrate.ts";
import { startQueue, type TaskQueue } from "../../src/store/queue.ts";
import { createTask } from "../../src/store/tasks.ts";
import { API, testOctokit } from "./octokit.ts";

const log = pino({ level: "silent" });
let db: Database;
let queue: TaskQueue;

beforeAll(async () => {
  db = await openDatabase({ dataDir: "memory://" });
  await migrate(db);
  queue = await startQueue(db);
}, 120_000);
afterAll(async () => {
  await queue?.stop();
  await db?.close();
  nock.cleanAll();
});

const delivery = (id: string) => ({
  id,
  event: "issue_comment",
  action: "created",
  installationId: 1,
  repository: "o/r",
  payload: { action: "created", comment: { body: "/agent fix" } },
});

describe("processDelivery", () => {
  it("runs the handlers once and records the outcome; a second job for the same delivery does nothing", async () => {
    await acceptDeliveries(db, queue.boss, [delivery("in-1")]);
    const received: unknown[] = [];
    const deps = {
      db,
      log,
      receive: async (event: unknown) => void received.push(event),
      retryLater: async () => {},
    };
    await processDelivery(deps, "in-1");
    await processDelivery(deps, "in-1");
    expect(received).toEqual([{ id: "in-1", name: "issue_comment", payload: delivery("in-1").payload }]);
    expect(await getDelivery(db, "in-1")).toMatchObject({ outcome: "handled" });
  });

  it("throws GitHub outages and database restarts for the queue to retry, and leaves the delivery open", async () => {
    await acceptDeliveries(db, queue.boss, [delivery("in-2")]);
    for (const failure of [
      new AggregateError([
        new GitHubApiError("Could not read the config: GitHub had an error (503)", "server", 503),
      ]),
      Object.assign(new Error("socket hang up"), { status: 500 }),
      Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }),
    ]) {
      const deps = { db, log, receive: async () => Promise.reject(failure), retryLater: async () => {} };
      await expect(processDelivery(deps, "in-2")).rejects.toBeDefined();
    }
    expect((await getDelivery(db, "in-2"))?.processedAt).toBeUndefined();
  });

  it("waits out a rate limit until it lifts, and ends a permanent failure with its reason", async () => {
    await acceptDeliveries(db, queue.boss, [delivery("in-3")]);
    const later: [string, number][] = [];
    const resetAt = new Date(Date.now() + 120_000);
    await processDelivery(
      {
        db,
        log,
        receive: async () => Promise.reject(new GitHubApiError("rate limited", "rate_limit", 403, resetAt)),
        retryLater: async (id, seconds) => void later.push([id, seconds]),
      },
      "in-3",
    );
    expect(later[0]?.[0]).toBe("in-3");
    expect(later[0]?.[1]).toBeGreaterThan(100);
    expect((await getDelivery(db, "in-3"))?.processedAt).toBeUndefined();
    await processDelivery(
      {
        db,
        log,
        receive: async () => Promise.reject(new Error("the payload has no repository")),
        retryLater: async () => {},
      },
      "in-3",
    );
    expect(await getDelivery(db, "in-3")).toMatchObject({ outcome: "failed: the payload has no repository" });
  });

  it("prunes old deliveries: drops those without a task, keeps the rows tasks point at without payload", async () => {
    await acceptDeliveries(db, queue.boss, [delivery("old-1")]);
    await acceptDeliveries(db, queue.boss, [delivery("old-2")]);
    await createTask(db, {
      kind: "fix",
      repository: "o/r",
      number: 99,
      trigger: "comment",
      deliveryId: "old-2",
    });
    await db.query(
      "update loopwright.webhook_deliveries set received_at = now() - interval '30 days' where delivery_id like 'old-%'",
    );
    expect(await pruneDeliveries(db, new Date(Date.now() - 14 * 86_400_000))).toBe(2);
    const { rows } = await db.query<{ delivery_id: string; payload: unknown }>(
      "select delivery_id, payload from loopwright.webhook_deliveries where delivery_id like 'old-%'",
    );
    expect(rows).toEqual([{ delivery_id: "old-2", payload: null }]);
  });
});

describe("askForMissedDeliveries", () => {
  it("asks GitHub again for failed deliveries it never stored, and for nothing else", async () => {
    await acceptDeliveries(db, queue.boss, [delivery("stored-but-failed")]);
    const now = Date.now();
    const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
    const github = nock(API)
      .get("/app/hook/deliveries")
      .query({ per_page: 100 })
      .reply(
        200,
        [
          { id: 11, guid: "missed", status_code: 502, delivered_at: at(5), event: "issue_comment" },
          { id: 10, guid: "missed", status_code: 0, delivered_at: at(6), event: "issue_comment" },
          { id: 9, guid: "retried-ok", status_code: 202, delivered_at: at(7), event: "issues" },
          { id: 8, guid: "retried-ok", status_code: 503, delivered_at: at(8), event: "issues" },
          { id: 7, guid: "stored-but-failed", status_code: 503, delivered_at: at(9), event: "issue_comment" },
        ],
        { link: `<${API}/app/hook/deliveries?per_page=100&cursor=next-page>; rel="next"` },
      )
      .get("/app/hook/deliveries")
      .query({ per_page: 100, cursor: "next-page" })
      .reply(200, [{ id: 1, guid: "too-old", status_code: 500, delivered_at: at(60 * 30), event: "issues" }])
      // Only this one is asked for: any other POST finds no interceptor and fails the call.
      .post("/app/hook/deliveries/11/attempts")
      .reply(202, {});
    const asked = await askForMissedDeliveries({
      app: testOctokit(),
      db,
      since: new Date(now - 86_400_000),
      log,
    });
    expect(asked).toEqual(["missed"]);
    expect(github.isDone()).toBe(true);
  });
});
