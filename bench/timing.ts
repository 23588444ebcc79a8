/**
 * Runs `task` `warmups` times unmeasured, then `runs` times one after another, and returns the
 * measured durations in ms, sorted.
 *
 * @example
 * const samples = await timings(() => sandbox.run(request), 60);
 * quantile(samples, 0.5); // the median
 */
export async function timings(task: () => Promise<unknown>, runs: number, warmups = 1): Promise<number[]> {
  for (let i = 0; i < warmups; i++) await task();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await task();
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b);
}

export { quantile } from "../test/helpers/quantile.ts";
