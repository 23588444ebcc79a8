import type { Usage } from "../model.ts";

/** Token counts as a provider reported them; any may be missing (compatible servers omit details). */
export type ReportedUsage = {
  input?: number | null;
  cached?: number | null;
  output?: number | null;
  reasoning?: number | null;
  total?: number | null;
};

const count = (value: number | null | undefined): number =>
  typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;

/**
 * Normalises reported token counts into a `Usage`: missing or nonsensical counts become 0, and a
 * missing total is the sum of input and output.
 *
 * @example
 * toUsage({ input: 1200, cached: 1024, output: 80 });
 * // { inputTokens: 1200, cachedInputTokens: 1024, outputTokens: 80, reasoningTokens: 0, totalTokens: 1280 }
 */
export function toUsage(reported: ReportedUsage): Usage {
  const inputTokens = count(reported.input);
  const outputTokens = count(reported.output);
  return {
    inputTokens,
    cachedInputTokens: count(reported.cached),
    outputTokens,
    reasoningTokens: count(reported.reasoning),
    totalTokens: count(reported.total) || inputTokens + outputTokens,
  };
}
