import { describe, expect, it } from "vitest";
import { parseResults } from "../../src/eval/results.ts";
import { formatDollars, formatPercent, formatSeconds, summarizeResults } from "../../src/eval/summary.ts";
import { wilsonInterval } from "../../src/eval/wilson.ts";
import { result } from "./helpers/results.ts";

describe("wilsonInterval", () => {
  it("matches the published values of the Wilson score interval", () => {
    // 8 of 10: 0.4902–0.9433; 0 of 10: 0–0.2775; 10 of 10: 0.7225–1 (Newcombe 1998, z = 1.96).
    const eight = wilsonInterval(8, 10);
    expect(eight?.low).toBeCloseTo(0.4902, 4);
    expect(eight?.high).toBeCloseTo(0.9433, 4);
    expect(wilsonInterval(0, 10)?.low).toBe(0);
    expect(wilsonInterval(0, 10)?.high).toBeCloseTo(0.2775, 4);
    expect(wilsonInterval(10, 10)?.low).toBeCloseTo(0.7225, 4);
    expect(wilsonInterval(10, 10)?.high).toBe(1);
    expect(wilsonInterval(50, 100)?.low).toBeCloseTo(0.4038, 4);
  });

  it("is symmetric, narrows with more trials, and has none without trials", () => {
    const low = wilsonInterval(3, 20);
    const high = wilsonInterval(17, 20);
    expect(low?.low).toBeCloseTo(1 - (high?.high ?? 0), 12);
    const small = wilsonInterval(5, 10) as { low: number; high: number };
    const large = wilsonInterval(500, 1000) as { low: number; high: number };
    expect(large.high - large.low).toBeLessThan(small.high - small.low);
    expect(wilsonInterval(0, 0)).toBeNull();
  });

  it("refuses impossible counts", () => {
    expect(() => wilsonInterval(3, 2)).toThrow("successes must be between 0 and 2, got 3");
    expect(() => wilsonInterval(1.5, 2)).toThrow(RangeError);
  });
});

describe("summarizeResults", () => {
  const results = [
    result({ instance_id: "a", resolved: true, failure: null, size: 2, wall_ms: 4000, cost_usd: 0.02 }),
    result({ instance_id: "b", failure: "no_change", size: 5, wall_ms: 6000, cost_usd: 0.04 }),
    result({ instance_id: "c", failure: "budget", size: 30, wall_ms: 20_000, cost_usd: null }),
    result({ instance_id: "d", resolved: true, failure: null, size: 300, wall_ms: 10_000, cost_usd: 0.06 }),
  ];

  it("counts resolved tasks, failures by class, cost over priced tasks and time", () => {
    const summary = summarizeResults(results);
    expect(summary).toMatchObject({
      tasks: 4,
      resolved: 2,
      rate: 0.5,
      failures: { no_change: 1, tests_fail: 0, budget: 1, error: 0 },
      cost: { priced: 3 },
      wallMs: { total: 40_000, mean: 10_000, median: 8000 },
      tokens: { total: 4400, mean: 1100 },
      steps: { mean: 4 },
    });
    expect(summary.cost.total).toBeCloseTo(0.12, 10);
    expect(summary.cost.perTask).toBeCloseTo(0.04, 10);
    expect(summary.interval).toEqual(wilsonInterval(2, 4));
  });

  it("groups tasks by the size of the recorded fix", () => {
    expect(summarizeResults(results).bySize).toEqual([
      { label: "1–5 lines", tasks: 2, resolved: 1, rate: 0.5 },
      { label: "6–20 lines", tasks: 0, resolved: 0, rate: null },
      { label: "21–50 lines", tasks: 1, resolved: 0, rate: 0 },
      { label: "51–200 lines", tasks: 0, resolved: 0, rate: null },
      { label: "over 200 lines", tasks: 1, resolved: 1, rate: 1 },
    ]);
  });

  it("has no rate, interval or means without results", () => {
    expect(summarizeResults([])).toMatchObject({
      tasks: 0,
      rate: null,
      interval: null,
      wallMs: { mean: null },
    });
  });

  it("formats rates, dollars and seconds as the reports show them", () => {
    expect(formatPercent(0.4567)).toBe("45.7%");
    expect(formatPercent(null)).toBe("—");
    expect(formatDollars(0.01234)).toBe("$0.0123");
    expect(formatDollars(12.345)).toBe("$12.35");
    expect(formatSeconds(65_400)).toBe("65.4 s");
  });
});

describe("parseResults", () => {
  it("reads results and drops a last line cut short by a crash", () => {
    const line = JSON.stringify(result({ instance_id: "a" }));
    expect(parseResults(`${line}\n${line.slice(0, 20)}`, "r").map((r) => r.instance_id)).toEqual(["a"]);
    expect(() => parseResults(`${line.slice(0, 20)}\n${line}\n`, "r")).toThrow(/^r line 1: not valid JSON/);
    expect(() => parseResults('{"instance_id": "a"}\n', "r")).toThrow(/^r line 1: not a result/);
  });
});
