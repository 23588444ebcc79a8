import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { git } from "../../workspace/helpers/git-repos.ts";

/** A file's new text, or null to delete it. */
type Files = Record<string, string | null>;

function commit(repo: string, message: string, files: Files): string {
  for (const [file, text] of Object.entries(files)) {
    const full = path.join(repo, file);
    if (text === null) rmSync(full);
    else {
      mkdirSync(path.dirname(full), { recursive: true });
      writeFileSync(full, text);
    }
  }
  git(repo, "add", "-A");
  git(repo, "commit", "--quiet", "-m", message);
  return git(repo, "rev-parse", "HEAD");
}

const MATH_BUGGY = `export function sum(a, b) {
  return a + b;
}

export function clamp(value, min, max) {
  if (value < min) return min;
  return value;
}
`;

const MATH_FIXED = MATH_BUGGY.replace(
  "  if (value < min) return min;\n",
  "  if (value < min) return min;\n  if (value > max) return max;\n",
);

const STRINGS_BUGGY = `export function pad(text, width) {
  return " ".repeat(width - text.length + 1) + text;
}
`;

const STRINGS_FIXED = `export function pad(text, width) {
  return " ".repeat(Math.max(0, width - text.length)) + text;
}
`;

const SUM_TESTS = `import assert from "node:assert/strict";
import { test } from "node:test";
import { sum } from "../lib/math.js";

test("sum adds two numbers", () => assert.equal(sum(2, 3), 5));
test("sum handles negatives", () => assert.equal(sum(-2, -3), -5));
`;

const CLAMP_TESTS = `
import { describe, it } from "node:test";
import { clamp } from "../lib/math.js";

describe("clamp", () => {
  it("raises values below the minimum", () => assert.equal(clamp(-1, 0, 10), 0));
  it("lowers values above the maximum", () => assert.equal(clamp(11, 0, 10), 10));
});
`;

const STRING_TESTS = `import assert from "node:assert/strict";
import { test } from "node:test";
import { pad } from "../lib/strings.js";

test("pad pads to the width", () => assert.equal(pad("ab", 4), "  ab"));
test("pad leaves long text alone", () => assert.equal(pad("abcdef", 4), "abcdef"));
`;

/** The mined repository: its folder and the commits that should (and should not) become tasks. */
export type HistoryRepo = { path: string; clampFix: string; padFix: string; tidy: string };

/**
 * A small JavaScript repository with `node --test` tests and a history to mine: the first commit,
 * two real fixes with tests (clamp, pad), a refactor without tests, a README change, and a change of
 * source and tests whose tests already passed before (not a task).
 */
export function createHistoryRepo(root: string, name = "mini"): HistoryRepo {
  const repo = path.join(root, name);
  mkdirSync(repo, { recursive: true });
  git(repo, "init", "--quiet", "--initial-branch=main");
  commit(repo, "Initial version", {
    "package.json": `${JSON.stringify({ name, version: "1.0.0", type: "module", scripts: { test: "node --test" } }, null, 2)}\n`,
    "lib/math.js": MATH_BUGGY,
    "lib/strings.js": STRINGS_BUGGY,
    "test/math.test.js": SUM_TESTS,
  });
  const clampFix = commit(
    repo,
    "Fix clamp above the maximum\n\nclamp(11, 0, 10) returned 11: values above the maximum were not lowered.\n\nSigned-off-by: Dev <dev@example.com>",
    { "lib/math.js": MATH_FIXED, "test/math.test.js": SUM_TESTS + CLAMP_TESTS },
  );
  commit(repo, "Rename a local variable", { "lib/math.js": MATH_FIXED.replace(/value/g, "x") });
  const padFix = commit(repo, "Fix pad: it added one space too many and broke on long text", {
    "lib/strings.js": STRINGS_FIXED,
    "test/strings.test.js": STRING_TESTS,
  });
  commit(repo, "Document the helpers", { "README.md": "# mini\n\nsum, clamp and pad.\n" });
  const tidy = commit(repo, "Tidy the sum tests", {
    "lib/math.js": `// Small math helpers.\n${MATH_FIXED.replace(/value/g, "x")}`,
    "test/math.test.js": `${SUM_TESTS}test("sum is commutative", () => assert.equal(sum(1, 2), sum(2, 1)));\n${CLAMP_TESTS}`,
  });
  return { path: repo, clampFix, padFix, tidy };
}

/**
 * A repository whose test command is a plain script (`node test/run.js`, no per-test output): the
 * miner falls back to running each changed test file alone.
 */
export function createScriptRepo(root: string, name = "plain"): { path: string; fix: string } {
  const repo = path.join(root, name);
  mkdirSync(repo, { recursive: true });
  git(repo, "init", "--quiet", "--initial-branch=main");
  commit(repo, "Initial version", {
    "package.json": `${JSON.stringify({ name, version: "1.0.0", scripts: { test: "node test/run.js" } }, null, 2)}\n`,
    "index.js": "exports.double = (n) => n + n;\nexports.half = (n) => n * 2;\n",
    "test/run.js":
      'const assert = require("node:assert");\nconst { double } = require("../index.js");\nassert.equal(double(2), 4);\n',
  });
  const fix = commit(repo, "Fix half: it doubled", {
    "index.js": "exports.double = (n) => n + n;\nexports.half = (n) => n / 2;\n",
    "test/run.js":
      'const assert = require("node:assert");\nconst { double, half } = require("../index.js");\nassert.equal(double(2), 4);\nassert.equal(half(4), 2);\n',
  });
  return { path: repo, fix };
}

/** Writes a file (for transcripts and task sets the tests make). */
export function writeText(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}
