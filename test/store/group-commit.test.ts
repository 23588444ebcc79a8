import { describe, expect, it } from "vitest";
import { groupCommit } from "../../src/store/group-commit.ts";

/** A write whose calls are recorded and finish only when the test says so. */
function heldWrite<T>() {
  const calls: { items: T[]; finish(error?: Error): void }[] = [];
  const write = (items: T[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({
        items,
        finish: (error) => (error ? reject(error) : resolve(items.map((item) => `stored ${item}`))),
      });
    });
  return { calls, write };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("groupCommit", () => {
  it("writes a lone call at once, and what arrives meanwhile together in one write", async () => {
    const { calls, write } = heldWrite<string>();
    const store = groupCommit(write, { maxBatch: 10 });
    const first = store("a");
    await settle();
    expect(calls.map((call) => call.items)).toEqual([["a"]]);
    const later = ["b", "c", "d"].map((item) => store(item));
    await settle();
    expect(calls).toHaveLength(1);
    calls[0]?.finish();
    expect(await first).toBe("stored a");
    await settle();
    expect(calls.map((call) => call.items)).toEqual([["a"], ["b", "c", "d"]]);
    calls[1]?.finish();
    expect(await Promise.all(later)).toEqual(["stored b", "stored c", "stored d"]);
  });

  it("caps a batch at maxBatch", async () => {
    const { calls, write } = heldWrite<number>();
    const store = groupCommit(write, { maxBatch: 2 });
    const all = [1, 2, 3, 4, 5].map((item) => store(item));
    for (let index = 0; index < 4; index++) {
      await settle();
      calls.at(-1)?.finish();
    }
    await Promise.all(all);
    expect(calls.map((call) => call.items)).toEqual([[1], [2, 3], [4, 5]]);
  });

  it("writes each item of a failed batch again on its own, so only the bad one fails", async () => {
    const store = groupCommit(
      async (items: string[]) => {
        if (items.includes("bad")) throw new Error(`cannot store ${items.join(", ")}`);
        return items.map((item) => item.toUpperCase());
      },
      { maxBatch: 10 },
    );
    const blocker = store("first");
    const results = await Promise.allSettled([store("ok"), store("bad"), store("fine")]);
    expect(await blocker).toBe("FIRST");
    expect(results).toEqual([
      { status: "fulfilled", value: "OK" },
      { status: "rejected", reason: new Error("cannot store bad") },
      { status: "fulfilled", value: "FINE" },
    ]);
  });
});
