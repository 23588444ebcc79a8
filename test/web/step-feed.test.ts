import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.ts";
import type { Queryable } from "../../src/store/database.ts";
import { finishTask } from "../../src/store/tasks.ts";
import { createStepFeed, type FeedMessage } from "../../src/web/step-feed.ts";
import { openTestDatabase, type TestDatabase } from "../helpers/test-database.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { seedTask } from "./helpers/dashboard-server.ts";

describe("the live step feed", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase("pglite");
  }, 120_000);
  afterAll(async () => {
    await db.dispose();
  });

  it("polls once per task however many follow it, catches each follower up, and ends with the task", async () => {
    const { task, steps } = await seedTask(db, "octo/app", { number: 1 });
    await steps.record({ kind: "workspace", payload: { branch: "agent/x", baseSha: "abc" } });
    let queries = 0;
    const counting: Queryable = {
      query(text, params) {
        queries += 1;
        return db.reader.query(text, params);
      },
    };
    const feed = createStepFeed({
      reader: () => counting,
      intervalMs: 50,
      log: createLogger({ logLevel: "silent" }),
    });
    const early: FeedMessage[] = [];
    const late: FeedMessage[] = [];
    const ids = (messages: FeedMessage[]) =>
      messages.flatMap((message) =>
        message.type === "steps" ? message.steps.map((step) => `${step.attempt}.${step.seq}`) : [],
      );

    const stopEarly = feed.subscribe(task.id, { attempt: 0, seq: -1 }, (message) => early.push(message));
    await waitFor(() => ids(early).includes("1.0"), 10_000, "the first step");
    await steps.record({ kind: "final", payload: { outcome: "completed", message: "done" } });
    await waitFor(() => ids(early).includes("1.1"), 10_000, "the second step");
    const stopLate = feed.subscribe(task.id, { attempt: 1, seq: 0 }, (message) => late.push(message));
    expect(feed.pollers).toBe(1);
    await waitFor(() => ids(late).includes("1.1"), 10_000, "the late follower's catch-up");

    // One poller: while both follow, the query rate stays that of one poller (2 queries a tick).
    const before = queries;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(queries - before).toBeLessThanOrEqual(2 * (500 / 50 + 2));

    await finishTask(db, task.id, task.attempt, { status: "succeeded" });
    await waitFor(() => early.some((message) => message.type === "end"), 10_000, "the end");
    await waitFor(() => late.some((message) => message.type === "end"), 10_000, "the end (late)");
    expect(ids(early)).toEqual(["1.0", "1.1"]);
    expect(ids(late)).toEqual(["1.1"]);
    expect(early.filter((message) => message.type === "task").at(-1)).toMatchObject({
      task: { status: "succeeded" },
    });
    expect(feed.pollers).toBe(0);
    stopEarly();
    stopLate();
    feed.close();
  });

  it("stops polling when the last follower leaves", async () => {
    const { task } = await seedTask(db, "octo/app", { number: 2 });
    const feed = createStepFeed({
      reader: () => db.reader,
      intervalMs: 50,
      log: createLogger({ logLevel: "silent" }),
    });
    const first = feed.subscribe(task.id, { attempt: 0, seq: -1 }, () => {});
    const second = feed.subscribe(task.id, { attempt: 0, seq: -1 }, () => {});
    expect(feed.pollers).toBe(1);
    first();
    expect(feed.pollers).toBe(1);
    second();
    expect(feed.pollers).toBe(0);
    feed.close();
  });
});
