import type { TestResults } from "./test-results.ts";

/** What the fix changed about the tests: SWE-bench's FAIL_TO_PASS and PASS_TO_PASS. */
export type TestTransitions = { failToPass: string[]; passToPass: string[] };

/**
 * Compares the tests before the fix (its test changes applied to the parent) with after it: a test
 * that passes after and did not pass before (failed, or did not run because its file would not load)
 * is FAIL_TO_PASS; one that passes in both is PASS_TO_PASS. Tests that fail or are skipped after the
 * fix belong to neither. Both lists sorted.
 *
 * @example
 * testTransitions(new Map([["a", "fail"], ["b", "pass"]]), new Map([["a", "pass"], ["b", "pass"], ["c", "pass"]]));
 * // { failToPass: ["a", "c"], passToPass: ["b"] }
 */
export function testTransitions(before: TestResults, after: TestResults): TestTransitions {
  const failToPass: string[] = [];
  const passToPass: string[] = [];
  for (const [id, status] of after) {
    if (status !== "pass") continue;
    (before.get(id) === "pass" ? passToPass : failToPass).push(id);
  }
  return { failToPass: failToPass.sort(), passToPass: passToPass.sort() };
}

/**
 * Several runs of the same tests as one: a test passes only when it passed in every run (a flaky
 * test that passes sometimes does not), fails when it failed in any, else it was skipped.
 *
 * @example
 * stableResults([new Map([["a", "pass"], ["b", "pass"]]), new Map([["a", "pass"], ["b", "fail"]])]);
 * // Map { "a" => "pass", "b" => "fail" }
 */
export function stableResults(runs: readonly TestResults[]): TestResults {
  const ids = new Set(runs.flatMap((run) => [...run.keys()]));
  const stable: TestResults = new Map();
  for (const id of ids) {
    const statuses = runs.map((run) => run.get(id));
    stable.set(
      id,
      statuses.every((status) => status === "pass")
        ? "pass"
        : statuses.some((status) => status === "fail" || status === undefined)
          ? "fail"
          : "skip",
    );
  }
  return stable;
}

/** How a set of expected-to-pass tests did in one run. */
export type ExpectedTests = { passed: string[]; failed: string[] };

/**
 * Which of `expected` passed in `results`; one that failed, was skipped or did not run at all counts
 * as failed.
 *
 * @example
 * checkExpected(["a", "b"], new Map([["a", "pass"]])); // { passed: ["a"], failed: ["b"] }
 */
export function checkExpected(expected: readonly string[], results: TestResults): ExpectedTests {
  const passed = expected.filter((id) => results.get(id) === "pass");
  const failed = expected.filter((id) => results.get(id) !== "pass");
  return { passed, failed };
}
