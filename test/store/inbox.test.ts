import { afterEach, describe, expect, it } from "vitest";
import { acceptDeliveries, INTAKE_QUEUE } from "../../src/store/inbox.ts";
import { startQueue, type TaskQueue } from "../../src/store/queue.ts";
import { databaseKinds, openTestDatabase, type TestDatabase } from "../helpers/test-database.ts";

const delivery = (id: string) => ({
  id,
  event: "issue_comment",
  action: "created",
  installationId: 1,
  repository: "o/r",
  payload: { action: "created", comment: { body: `comment of ${id}` } },
});

describe.each(databaseKinds)("acceptDeliveries (%s)", (kind) => {
  let db: TestDatabase | undefined;
  let queue: TaskQueue | undefined;
  afterEach(async () => {
    await queue?.stop();
    await db?.dispose();
  });

  it("stores a batch in one go with one intake job each; a delivery seen before is not accepted again", async () => {
    db = await openTestDatabase(kind);
    queue = await startQueue(db);
    expect(await acceptDeliveries(db, queue.boss, [delivery("a")])).toEqual([true]);
    // "a" again (GitHub's retry), "b" twice in the same batch (a retry racing the original).
    expect(
      await acceptDeliveries(db, queue.boss, [delivery("a"), delivery("b"), delivery("c"), delivery("b")]),
    ).toEqual([false, true, true, false]);
    const { rows: stored } = await db.query<{ delivery_id: string; payload: unknown }>(
      "select delivery_id, payload from loopwright.webhook_deliveries order by delivery_id",
    );
    expect(stored).toEqual(["a", "b", "c"].map((id) => ({ delivery_id: id, payload: delivery(id).payload })));
    const { rows: jobs } = await db.query<{ id: string }>(
      "select data->>'deliveryId' as id from pgboss.job where name = $1 order by 1",
      [INTAKE_QUEUE],
    );
    expect(jobs.map((job) => job.id)).toEqual(["a", "b", "c"]);
  });
});
