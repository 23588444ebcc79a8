import { describe, expect, it } from "vitest";
import { createAckTraffic } from "../../src/store/ack-traffic.ts";

/** Whether the promise has settled by the time pending callbacks have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe("createAckTraffic", () => {
  it("gives a lull at once when nothing is being stored", async () => {
    expect(await settled(createAckTraffic().lull())).toBe(true);
  });

  it("holds background work back until the deliveries being stored are stored", async () => {
    const traffic = createAckTraffic();
    let finish!: () => void;
    const storing = traffic.carry(() => new Promise<string>((resolve) => (finish = () => resolve("stored"))));
    const lull = traffic.lull(60_000);
    expect(await settled(lull)).toBe(false);
    finish();
    expect(await storing).toBe("stored");
    expect(await settled(lull)).toBe(true);
  });

  it("counts a failed store as ended, and passes its error on", async () => {
    const traffic = createAckTraffic();
    await expect(traffic.carry(() => Promise.reject(new Error("database gone")))).rejects.toThrow(
      "database gone",
    );
    expect(await settled(traffic.lull(60_000))).toBe(true);
  });

  it("never waits longer than its bound while deliveries keep coming", async () => {
    const traffic = createAckTraffic();
    void traffic.carry(() => new Promise(() => {}));
    const started = performance.now();
    await traffic.lull(20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });
});
