import { describe, expect, it } from "vitest";
import { parseTestResults } from "../../src/eval/test-results.ts";
import { checkExpected, stableResults, testTransitions } from "../../src/eval/test-transitions.ts";

/** Node 24's spec reporter, as `node --test` prints it when its output is not a terminal. */
const SPEC = `✔ adds (1.570071ms)
▶ suite x
  ✔ inner ok (1.770461ms)
  ✖ inner bad (1.876421ms)
✖ suite x (4.204246ms)
﹣ skipped (0.244102ms) # SKIP
✔ todo (0.22696ms) # TODO
✖ test/broken.test.js (31.2ms)
ℹ tests 6
ℹ pass 3

✖ failing tests:

test at test/a.test.js:3:70
✖ inner bad (1.876421ms)
  AssertionError [ERR_ASSERTION]: 1 == 2
`;

/** `node --test --test-reporter=tap`. */
const TAP = `TAP version 13
# Subtest: adds
ok 1 - adds
  ---
  duration_ms: 2.60498
  type: 'test'
  ...
# Subtest: suite x
    # Subtest: inner ok
    ok 1 - inner ok
      ---
      duration_ms: 0.644389
      ...
    # Subtest: inner bad
    not ok 2 - inner bad
      ---
      error: '1 == 2'
      ...
    1..2
not ok 2 - suite x
# Subtest: skipped
ok 3 - skipped # SKIP
# Subtest: a \\# b
ok 4 - a \\# b
1..4
# tests 5
`;

describe("parseTestResults", () => {
  it("reads node's spec reporter: nesting, skips and todos, not the repeated failures", () => {
    expect(Object.fromEntries(parseTestResults(SPEC))).toEqual({
      adds: "pass",
      "suite x > inner ok": "pass",
      "suite x > inner bad": "fail",
      skipped: "skip",
      todo: "skip",
      "test/broken.test.js": "fail",
    });
  });

  it("reads node's TAP: nested subtests, directives and escaped names", () => {
    expect(Object.fromEntries(parseTestResults(TAP))).toEqual({
      adds: "pass",
      "suite x > inner ok": "pass",
      "suite x > inner bad": "fail",
      skipped: "skip",
      "a # b": "pass",
    });
  });

  it("reads pytest's -rA summary and -v lines, and go test -v", () => {
    const pytest = [
      "tests/test_a.py::test_one PASSED                     [ 50%]",
      "PASSED tests/test_a.py::test_two",
      "FAILED tests/test_a.py::test_three - AssertionError: boom",
      "ERROR tests/test_b.py::test_four - ImportError",
      "SKIPPED tests/test_b.py::test_five",
    ].join("\n");
    expect(Object.fromEntries(parseTestResults(pytest))).toEqual({
      "tests/test_a.py::test_one": "pass",
      "tests/test_a.py::test_two": "pass",
      "tests/test_a.py::test_three": "fail",
      "tests/test_b.py::test_four": "fail",
      "tests/test_b.py::test_five": "skip",
    });
    const go =
      "=== RUN   TestSum\n--- PASS: TestSum (0.00s)\n    --- FAIL: TestSum/neg (0.00s)\n--- SKIP: TestSlow (0.00s)\n";
    expect(Object.fromEntries(parseTestResults(go))).toEqual({
      TestSum: "pass",
      "TestSum/neg": "fail",
      TestSlow: "skip",
    });
  });

  it("lets a failure win when one name appears twice, and strips colours", () => {
    const output = "\x1b[32m✔ works (1ms)\x1b[39m\n✖ works (2ms)\n✔ works (1ms)\n";
    expect(Object.fromEntries(parseTestResults(output))).toEqual({ works: "fail" });
  });

  it("finds nothing in the output of a plain script", () => {
    expect(parseTestResults("> mini@1.0.0 test\n> node test.js\n\nall good\n").size).toBe(0);
    expect(parseTestResults("AssertionError [ERR_ASSERTION]: 8 == 2\n    at Object.<anonymous>").size).toBe(
      0,
    );
  });
});

describe("testTransitions and checkExpected", () => {
  it("takes FAIL_TO_PASS from tests that failed or did not run before, PASS_TO_PASS from those passing in both", () => {
    const before = new Map([
      ["a", "fail"],
      ["b", "pass"],
      ["d", "pass"],
      ["e", "skip"],
    ] as const);
    const after = new Map([
      ["a", "pass"],
      ["b", "pass"],
      ["c", "pass"],
      ["d", "fail"],
      ["e", "pass"],
      ["f", "skip"],
    ] as const);
    expect(testTransitions(before, after)).toEqual({ failToPass: ["a", "c", "e"], passToPass: ["b"] });
  });

  it("keeps a test as passing over repeated runs only when it passed every time", () => {
    const first = new Map([
      ["steady", "pass"],
      ["flaky", "pass"],
      ["gone", "pass"],
      ["skipped", "skip"],
    ] as const);
    const second = new Map([
      ["steady", "pass"],
      ["flaky", "fail"],
      ["skipped", "skip"],
    ] as const);
    expect(Object.fromEntries(stableResults([first, second]))).toEqual({
      steady: "pass",
      flaky: "fail",
      gone: "fail",
      skipped: "skip",
    });
  });

  it("counts a test that failed, was skipped or did not run as failed", () => {
    expect(
      checkExpected(
        ["a", "b", "c", "d"],
        new Map([
          ["a", "pass"],
          ["b", "fail"],
          ["c", "skip"],
        ]),
      ),
    ).toEqual({ passed: ["a"], failed: ["b", "c", "d"] });
  });
});
