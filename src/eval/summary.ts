import { type EvalResult, FAILURE_CLASSES, type FailureClass } from "./results.ts";
import { type Interval, wilsonInterval } from "./wilson.ts";

/** Task sizes (lines changed by the recorded fix) the report groups tasks by. */
export const SIZE_BUCKETS: readonly { label: string; max: number }[] = [
  { label: "1–5 lines", max: 5 },
  { label: "6–20 lines", max: 20 },
  { label: "21–50 lines", max: 50 },
  { label: "51–200 lines", max: 200 },
  { label: "over 200 lines", max: Number.POSITIVE_INFINITY },
];

export type SizeBucket = { label: string; tasks: number; resolved: number; rate: number | null };

/** The numbers a report and a comparison show for one run. */
export type RunSummary = {
  tasks: number;
  resolved: number;
  /** Resolved / tasks, null without tasks. */
  rate: number | null;
  interval: Interval | null;
  failures: Record<FailureClass, number>;
  /** Total and mean cost of the tasks whose model has a price; `priced` says how many those are. */
  cost: { total: number; perTask: number | null; priced: number };
  wallMs: { total: number; mean: number | null; median: number | null };
  tokens: { total: number; mean: number | null };
  steps: { mean: number | null };
  bySize: SizeBucket[];
};

/**
 * The mean of some numbers, null for none.
 *
 * @example
 * mean([1, 2, 6]); // 3
 */
export const mean = (values: number[]) =>
  values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * The summary of a run's results: resolve rate with its Wilson 95% interval, failures by class, cost
 * and wall time per task, tokens, and the resolve rate by task size.
 *
 * @example
 * const summary = summarizeResults(results);
 * `${summary.resolved}/${summary.tasks}`; // "7/20"
 */
export function summarizeResults(results: readonly EvalResult[]): RunSummary {
  const resolved = results.filter((result) => result.resolved).length;
  const failures = Object.fromEntries(FAILURE_CLASSES.map((kind) => [kind, 0])) as Record<
    FailureClass,
    number
  >;
  for (const result of results) if (result.failure) failures[result.failure] += 1;
  const priced = results.flatMap((result) => (result.cost_usd === null ? [] : [result.cost_usd]));
  const wall = results.map((result) => result.wall_ms);
  const tokens = results.map((result) => result.tokens.total);
  let lower = 0;
  const bySize = SIZE_BUCKETS.map((bucket) => {
    const inBucket = results.filter((result) => result.size > lower && result.size <= bucket.max);
    // A size of 0 (a fix that only changes file modes) belongs to the smallest bucket.
    if (lower === 0) inBucket.unshift(...results.filter((result) => result.size === 0));
    lower = bucket.max;
    const solved = inBucket.filter((result) => result.resolved).length;
    return {
      label: bucket.label,
      tasks: inBucket.length,
      resolved: solved,
      rate: inBucket.length === 0 ? null : solved / inBucket.length,
    };
  });
  return {
    tasks: results.length,
    resolved,
    rate: results.length === 0 ? null : resolved / results.length,
    interval: wilsonInterval(resolved, results.length),
    failures,
    cost: {
      total: priced.reduce((sum, cost) => sum + cost, 0),
      perTask: mean(priced),
      priced: priced.length,
    },
    wallMs: { total: wall.reduce((sum, ms) => sum + ms, 0), mean: mean(wall), median: median(wall) },
    tokens: { total: tokens.reduce((sum, count) => sum + count, 0), mean: mean(tokens) },
    steps: { mean: mean(results.map((result) => result.steps)) },
    bySize,
  };
}

/**
 * Formatting shared by the reports: a rate as a percentage, dollars, durations.
 *
 * @example
 * formatPercent(0.4567); // "45.7%"
 */
export function formatPercent(value: number | null): string {
  return value === null ? "—" : `${(value * 100).toFixed(1)}%`;
}

/**
 * @example
 * formatDollars(0.01234); // "$0.0123"
 */
export function formatDollars(value: number | null): string {
  if (value === null) return "—";
  return value >= 1 ? `$${value.toFixed(2)}` : `$${value.toFixed(4)}`;
}

/**
 * @example
 * formatSeconds(65_400); // "65.4 s"
 */
export function formatSeconds(ms: number | null): string {
  return ms === null ? "—" : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * A confidence interval after a rate, in parentheses; empty without one.
 *
 * @example
 * intervalNote({ low: 0.299, high: 0.701 }, "95% CI "); // " (95% CI 29.9%–70.1%)"
 */
export function intervalNote(interval: Interval | null, label = ""): string {
  return interval ? ` (${label}${formatPercent(interval.low)}–${formatPercent(interval.high)})` : "";
}
