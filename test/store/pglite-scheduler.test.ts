import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scheduledPglite, urgently } from "../../src/store/pglite-scheduler.ts";

describe("scheduledPglite", () => {
  let pglite: PGlite;
  beforeAll(async () => {
    pglite = scheduledPglite(await PGlite.create());
  }, 120_000);
  afterAll(async () => {
    await pglite.close();
  });

  it("runs urgent statements before the background backlog", async () => {
    const finished: string[] = [];
    const background = Array.from({ length: 6 }, (_, index) =>
      pglite.query("select $1::int as n", [index]).then(() => finished.push(`background ${index}`)),
    );
    const urgent = urgently(() => pglite.query("select 1").then(() => finished.push("urgent")));
    await Promise.all([...background, urgent]);
    // At most the statement already running finishes before the urgent one.
    expect(finished.indexOf("urgent")).toBeLessThanOrEqual(1);
    expect(finished).toHaveLength(7);
  });

  it("gives the event loop a turn between statements", async () => {
    const order: string[] = [];
    const backlog = Array.from({ length: 20 }, (_, index) =>
      pglite.query("select $1::int as n", [index]).then(() => order.push("statement")),
    );
    setImmediate(() => order.push("other work"));
    await Promise.all(backlog);
    expect(order.indexOf("other work")).toBeLessThan(3);
  });

  it("keeps transactions, exec and the rest of PGlite's surface working", async () => {
    await pglite.exec("create table t (n int); insert into t values (1), (2);");
    const sum = await pglite.transaction(async (tx) => {
      await tx.query("insert into t values (3)");
      return (await tx.query<{ total: number }>("select sum(n)::int as total from t")).rows[0]?.total;
    });
    expect(sum).toBe(6);
    expect(pglite.closed).toBe(false);
  });
});
