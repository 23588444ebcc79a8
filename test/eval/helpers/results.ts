import type { EvalResult } from "../../../src/eval/results.ts";

/** A result with the given fields, the rest plausible. */
export function result(fields: Partial<EvalResult> & Pick<EvalResult, "instance_id">): EvalResult {
  return {
    resolved: false,
    failure: "tests_fail",
    detail: null,
    tests: null,
    steps: 4,
    tool_calls: 3,
    tokens: { input: 1000, cached: 0, output: 100, total: 1100 },
    cost_usd: 0.01,
    wall_ms: 10_000,
    size: 3,
    model: "gpt-5",
    agent_outcome: "completed",
    transcript: null,
    patch: null,
    finished_at: "2025-01-01T00:00:00Z",
    ...fields,
  };
}
