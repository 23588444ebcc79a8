/**
 * The q-quantile of sorted samples (0.5: the median); 0 when there are none.
 *
 * @example
 * quantile([1, 2, 3, 4], 0.95); // 4
 */
export const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
