/** How one test ended. */
export type TestStatus = "pass" | "fail" | "skip";

/** Per-test results by test identity (`suite > test`, `file.py::test`, `TestX/sub`). */
export type TestResults = Map<string, TestStatus>;

const TAP_SUBTEST = /^(\s*)# Subtest: (.*)$/;
const TAP_RESULT = /^(\s*)(not ok|ok) \d+(?: -)? ?(.*?)(?:\s+#\s*(SKIP|TODO)\b.*)?$/i;
const SPEC_LINE = /^(\s*)(✔|✖|﹣|▶) (.*?)(?: \([\d.]+m?s\))?(?: # (SKIP|TODO)\b.*)?$/;
const PYTEST_SUMMARY = /^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (\S+::\S.*?)(?: - .*)?$/;
const PYTEST_VERBOSE = /^(\S+::\S+) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b/;
const GO_RESULT = /^\s*--- (PASS|FAIL|SKIP): (\S+)/;
/** Where node's spec reporter starts repeating the failures: results past it are not new. */
const SPEC_FAILURES_HEADER = "✖ failing tests:";

const PYTEST_STATUS: Record<string, TestStatus> = {
  PASSED: "pass",
  XPASS: "pass",
  FAILED: "fail",
  ERROR: "fail",
  SKIPPED: "skip",
  XFAIL: "skip",
};

/** Two results of the same identity (the same name in two files): a failure wins, then a pass. */
function merge(results: TestResults, id: string, status: TestStatus): void {
  const earlier = results.get(id);
  if (earlier === "fail" || (earlier === "pass" && status === "skip")) return;
  results.set(id, status);
}

/** Names of the open suites or subtests, by nesting level. */
class Nesting {
  #names: string[] = [];
  open(level: number, name: string): void {
    this.#names = this.#names.slice(0, level);
    this.#names[level] = name;
  }
  path(level: number, name: string): string {
    return [...this.#names.slice(0, level), name].join(" > ");
  }
}

const unescapeTap = (name: string) => name.replace(/\\([#\\])/g, "$1");

/**
 * Reads per-test results from a test command's output: node's test runner (TAP, as with
 * `--test-reporter=tap` or older Node, and the spec reporter Node 24 prints by default), pytest
 * (`-rA` summary or `-v` lines) and `go test -v`. Nested tests are named `parent > child`; a parent
 * whose children are listed is left out (its result is theirs). Empty when the output names no test
 * (a plain script that only exits 0 or 1).
 *
 * @example
 * parseTestResults("✔ adds (1.2ms)\n▶ clamp\n  ✖ above the maximum (0.4ms)\n✖ clamp (0.9ms)\n");
 * // Map { "adds" => "pass", "clamp > above the maximum" => "fail" }
 */
export function parseTestResults(output: string): TestResults {
  const results: TestResults = new Map();
  const tap = new Nesting();
  const spec = new Nesting();
  for (const raw of output.split("\n")) {
    const line = raw.replace(/\r$/, "").replace(/\x1b\[[0-9;]*m/g, "");
    if (line.trim() === SPEC_FAILURES_HEADER) break;
    const subtest = TAP_SUBTEST.exec(line);
    if (subtest) {
      tap.open(Math.floor((subtest[1] as string).length / 4), unescapeTap(subtest[2] as string));
      continue;
    }
    const tapResult = TAP_RESULT.exec(line);
    if (tapResult) {
      const level = Math.floor((tapResult[1] as string).length / 4);
      const status: TestStatus = tapResult[4] ? "skip" : tapResult[2] === "ok" ? "pass" : "fail";
      merge(results, tap.path(level, unescapeTap(tapResult[3] as string)), status);
      continue;
    }
    const specLine = SPEC_LINE.exec(line);
    if (specLine) {
      const level = Math.floor((specLine[1] as string).length / 2);
      const name = specLine[3] as string;
      if (specLine[2] === "▶") spec.open(level, name);
      else {
        const status: TestStatus =
          specLine[4] || specLine[2] === "﹣" ? "skip" : specLine[2] === "✔" ? "pass" : "fail";
        merge(results, spec.path(level, name), status);
      }
      continue;
    }
    const pytest = PYTEST_SUMMARY.exec(line);
    const verbose = PYTEST_VERBOSE.exec(line);
    if (pytest) merge(results, pytest[2] as string, PYTEST_STATUS[pytest[1] as string] as TestStatus);
    else if (verbose) merge(results, verbose[1] as string, PYTEST_STATUS[verbose[2] as string] as TestStatus);
    const go = GO_RESULT.exec(line);
    if (go) merge(results, go[2] as string, go[1] === "PASS" ? "pass" : go[1] === "FAIL" ? "fail" : "skip");
  }
  const parents = new Set<string>();
  for (const id of results.keys()) {
    const names = id.split(" > ");
    for (let depth = 1; depth < names.length; depth++) parents.add(names.slice(0, depth).join(" > "));
  }
  for (const parent of parents) results.delete(parent);
  return results;
}
