/** A 95% confidence interval of a proportion, both ends between 0 and 1. */
export type Interval = { low: number; high: number };

/** The normal quantile of a two-sided 95% interval. */
const Z_95 = 1.959963984540054;

/**
 * The Wilson score interval of `successes` out of `trials` (95% by default): unlike the normal
 * approximation it stays inside [0, 1] and is honest for small sets and rates near 0 or 1 — what an
 * eval of 20 tasks needs. Null when there are no trials.
 *
 * @example
 * wilsonInterval(8, 10); // { low: 0.4902, high: 0.9433 } (rounded)
 * wilsonInterval(0, 0); // null
 */
export function wilsonInterval(successes: number, trials: number, z = Z_95): Interval | null {
  if (!Number.isInteger(trials) || trials < 0 || !Number.isInteger(successes)) {
    throw new RangeError(`expected whole numbers, got ${successes} of ${trials}`);
  }
  if (successes < 0 || successes > trials) {
    throw new RangeError(`successes must be between 0 and ${trials}, got ${successes}`);
  }
  if (trials === 0) return null;
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const center = (p + z2 / (2 * trials)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denominator;
  // At 0 and at n the bound is exactly 0 or 1; floating point would land a hair inside it.
  return {
    low: successes === 0 ? 0 : Math.max(0, center - half),
    high: successes === trials ? 1 : Math.min(1, center + half),
  };
}
