/** What a path of a repository holds, as the miner sorts a commit's changes. */
export type PathKind = "test" | "source" | "other";

const TEST_FOLDERS = new Set(["test", "tests", "__tests__", "spec", "specs", "testing", "__test__"]);

const TEST_FILE_PATTERNS: readonly RegExp[] = [
  /\.(test|spec)\.[cm]?[jt]sx?$/i, // sum.test.js, app.spec.ts
  /^test[-_.].+\.[cm]?[jt]sx?$/i, // test-sum.js, test_sum.mjs
  /^test\.[cm]?[jt]sx?$/i, // test.js
  /[-_]test\.[cm]?[jt]sx?$/i, // sum-test.js
  /^test_.+\.py$/i, // test_sum.py
  /_test\.(py|go|rb|exs)$/i, // sum_test.go
  /_spec\.rb$/i, // sum_spec.rb
  /Tests?\.(java|kt|cs|swift|scala)$/, // SumTest.java
];

const SOURCE_EXTENSIONS = new Set([
  "js",
  "mjs",
  "cjs",
  "jsx",
  "ts",
  "mts",
  "cts",
  "tsx",
  "vue",
  "svelte",
  "py",
  "go",
  "rs",
  "rb",
  "java",
  "kt",
  "scala",
  "swift",
  "cs",
  "php",
  "c",
  "h",
  "cc",
  "cpp",
  "cxx",
  "hpp",
  "m",
  "ex",
  "exs",
  "erl",
  "clj",
  "lua",
  "sh",
  "pl",
  "r",
]);

/**
 * Sorts a path into tests (a test folder anywhere on the path, or a test file name such as
 * `sum.test.js`, `test_sum.py`, `sum_test.go`), source code (a code extension), or anything else
 * (documentation, configuration, lock files).
 *
 * @example
 * classifyPath("test/sum.js"); // "test"
 * classifyPath("lib/sum.js"); // "source"
 * classifyPath("README.md"); // "other"
 */
export function classifyPath(path: string): PathKind {
  const parts = path.split("/");
  const name = parts.at(-1) ?? "";
  if (parts.slice(0, -1).some((part) => TEST_FOLDERS.has(part.toLowerCase()))) return "test";
  if (TEST_FILE_PATTERNS.some((pattern) => pattern.test(name))) return "test";
  const extension = name.includes(".") ? (name.split(".").at(-1) ?? "").toLowerCase() : "";
  return SOURCE_EXTENSIONS.has(extension) ? "source" : "other";
}

/**
 * Whether node's test runner can run the file on its own (`node --test FILE`): JavaScript, or
 * TypeScript that Node strips the types of.
 *
 * @example
 * isNodeTestFile("test/sum.test.js"); // true
 * isNodeTestFile("test/fixtures/data.json"); // false
 */
export function isNodeTestFile(path: string): boolean {
  return /\.[cm]?[jt]s$/i.test(path);
}
