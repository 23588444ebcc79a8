import { describe, expect, it } from "vitest";
import {
  describeCron,
  EVERY_WINDOW_MINUTES,
  jitterOf,
  latestSlot,
  nextSlot,
  scheduleCron,
} from "../../src/config/schedule-time.ts";

const at = (iso: string) => new Date(iso);
const slots = (cron: string, timezone: string, from: string, count: number) => {
  const found: string[] = [];
  let after = at(from);
  for (let index = 0; index < count; index++) {
    after = nextSlot(cron, timezone, after);
    found.push(after.toISOString());
  }
  return found;
};

describe("next slots", () => {
  it("runs daily at the same local time across the spring change in Berlin, skipping the missing hour once", () => {
    // 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that day.
    expect(slots("30 2 * * *", "Europe/Berlin", "2026-03-27T12:00:00Z", 4)).toEqual([
      "2026-03-28T01:30:00.000Z", // 02:30 CET
      "2026-03-29T01:30:00.000Z", // 03:30 CEST: the first valid time after the gap
      "2026-03-30T00:30:00.000Z", // 02:30 CEST
      "2026-03-31T00:30:00.000Z",
    ]);
  });

  it("runs once, not twice, when autumn repeats the local hour", () => {
    // 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice.
    const found = slots("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 3);
    expect(found[0]).toBe("2026-10-25T00:30:00.000Z");
    expect(found[1]).toBe("2026-10-26T01:30:00.000Z");
    expect(new Set(found.map((iso) => iso.slice(0, 10))).size).toBe(3);
  });

  it("keeps local time in New York across its own change, and UTC stays fixed", () => {
    // 2026-03-08: EST (UTC-5) to EDT (UTC-4).
    expect(slots("0 9 * * *", "America/New_York", "2026-03-06T20:00:00Z", 3)).toEqual([
      "2026-03-07T14:00:00.000Z",
      "2026-03-08T13:00:00.000Z",
      "2026-03-09T13:00:00.000Z",
    ]);
    expect(slots("0 9 * * *", "UTC", "2026-03-06T20:00:00Z", 2)).toEqual([
      "2026-03-07T09:00:00.000Z",
      "2026-03-08T09:00:00.000Z",
    ]);
  });

  it("reads aliases and weekdays, in a zone east of UTC", () => {
    expect(slots("@weekly", "Asia/Tokyo", "2026-11-30T00:00:00Z", 1)).toEqual(["2026-12-05T15:00:00.000Z"]);
    expect(slots("0 4 * * 1", "Asia/Kolkata", "2026-11-30T00:00:00Z", 1)).toEqual([
      "2026-12-06T22:30:00.000Z",
    ]);
  });

  it("is strictly after the given moment", () => {
    expect(nextSlot("0 * * * *", "UTC", at("2026-01-01T05:00:00Z")).toISOString()).toBe(
      "2026-01-01T06:00:00.000Z",
    );
  });

  it("catches up on the latest missed slot, never before the one that was due", () => {
    const due = at("2026-01-01T01:00:00Z");
    expect(latestSlot("0 * * * *", "UTC", due, at("2026-01-01T05:10:00Z")).toISOString()).toBe(
      "2026-01-01T05:00:00.000Z",
    );
    expect(latestSlot("0 * * * *", "UTC", due, at("2026-01-01T05:00:00Z")).toISOString()).toBe(
      "2026-01-01T05:00:00.000Z",
    );
    expect(latestSlot("0 * * * *", "UTC", due, at("2026-01-01T01:00:30Z")).toISOString()).toBe(
      "2026-01-01T01:00:00.000Z",
    );
  });
});

describe("every: jitter", () => {
  it("is stable for a repository and name, and differs between schedules", () => {
    const daily = scheduleCron({ name: "deps", every: "daily" }, "octo/app");
    expect(scheduleCron({ name: "deps", every: "daily" }, "octo/app")).toBe(daily);
    expect(scheduleCron({ name: "deps", every: "daily" }, "OCTO/app")).toBe(daily);
    expect(daily).toMatch(/^\d{1,2} [0-5] \* \* \*$/);
    expect(scheduleCron({ name: "deps", every: "weekly" }, "octo/app")).toMatch(
      /^\d{1,2} [0-5] \* \* [0-6]$/,
    );
    expect(scheduleCron({ name: "deps", cron: " 0 4 * * 1 " }, "octo/app")).toBe("0 4 * * 1");
  });

  it("stays within its window and spreads a thousand repositories over it", () => {
    const minutes = Array.from({ length: 1000 }, (_, index) =>
      jitterOf(`org/repo-${index}`, "deps", EVERY_WINDOW_MINUTES),
    );
    expect(Math.min(...minutes)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...minutes)).toBeLessThan(EVERY_WINDOW_MINUTES);
    // No minute gets more than a small share: nothing like all of them at 04:00.
    const perMinute = new Map<number, number>();
    for (const minute of minutes) perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
    expect(Math.max(...perMinute.values())).toBeLessThan(15);
    expect(perMinute.size).toBeGreaterThan(250);
    // Every hour of the window is used.
    expect(new Set(minutes.map((minute) => Math.floor(minute / 60))).size).toBe(6);
  });
});

describe("describeCron", () => {
  it("says the time in words with the time zone", () => {
    expect(describeCron("0 4 * * 1", "Europe/Berlin")).toBe("At 04:00, only on Monday (Europe/Berlin)");
    expect(describeCron("@daily", "UTC")).toBe("At 00:00 (UTC)");
  });
});
