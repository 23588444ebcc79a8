/** Where a test command came from, for the progress line and the docs. */
export type TestCommandSource =
  | "--test-command"
  | "eval.test_command"
  | "package.json"
  | "node --test layout";

/** npm's placeholder for a package without tests. */
const NPM_NO_TESTS = /no test specified/;

/** The files node's test runner finds on its own (`node --test` without arguments). */
const NODE_TEST_DEFAULTS: readonly RegExp[] = [
  /(^|\/)test\/.+\.[cm]?js$/,
  /\.test\.[cm]?js$/,
  /-test\.[cm]?js$/,
  /_test\.[cm]?js$/,
  /(^|\/)test-[^/]+\.[cm]?js$/,
  /(^|\/)test\.[cm]?js$/,
];

/** The placeholder for one test file in a per-file test command. */
export const FILE_PLACEHOLDER = "{file}";

/**
 * How a repository's tests run, in order of preference: `--test-command`, `.github/loopwright.yml`
 * `eval.test_command`, `npm test` when package.json has a real `scripts.test` (with
 * `--ignore-scripts` when a pretest or posttest hook would lint or type-check first), `node --test`
 * when the tree has files node's test runner finds by itself. Undefined when none applies.
 *
 * @example
 * detectTestCommand({ packageJson: '{"scripts":{"test":"node --test"}}', paths: [] });
 * // { command: "npm test", source: "package.json" }
 */
export function detectTestCommand(input: {
  override?: string;
  configured?: string | null;
  packageJson?: string;
  paths: readonly string[];
}): { command: string; source: TestCommandSource } | undefined {
  if (input.override?.trim()) return { command: input.override.trim(), source: "--test-command" };
  if (input.configured?.trim()) return { command: input.configured.trim(), source: "eval.test_command" };
  if (input.packageJson !== undefined) {
    try {
      const scripts = (JSON.parse(input.packageJson) as { scripts?: Record<string, unknown> }).scripts ?? {};
      const script = scripts.test;
      if (typeof script === "string" && script.trim() !== "" && !NPM_NO_TESTS.test(script)) {
        // A pretest or posttest hook (lint, type check) needs tools an offline sandbox lacks: skip hooks.
        const hooks = "pretest" in scripts || "posttest" in scripts;
        return { command: hooks ? "npm test --ignore-scripts" : "npm test", source: "package.json" };
      }
    } catch {
      // A package.json that is not JSON has no usable test script; the layout may still tell.
    }
  }
  const nodeTests = input.paths.some(
    (path) => !path.includes("node_modules/") && NODE_TEST_DEFAULTS.some((pattern) => pattern.test(path)),
  );
  return nodeTests ? { command: "node --test", source: "node --test layout" } : undefined;
}

/**
 * The per-file command the miner falls back to when a test command's output names no tests: each
 * changed JavaScript test file run alone by node's test runner, which also runs plain assertion
 * scripts (a non-zero exit fails the file).
 */
export const NODE_FILE_COMMAND = `node --test ${FILE_PLACEHOLDER}`;
