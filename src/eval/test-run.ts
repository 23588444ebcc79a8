import type { CommandRunner } from "../agent/command-runner.ts";
import { FILE_PLACEHOLDER } from "./test-command.ts";
import { parseTestResults, type TestResults } from "./test-results.ts";

/** What running a task's tests gave: results per test identity, and the output for the log. */
export type TestRun = { results: TestResults; output: string };

/** A test run takes at most this long unless told otherwise (`--test-timeout`): a fix's tests often hang before it. */
export const DEFAULT_TEST_TIMEOUT_MS = 5 * 60_000;

const shellQuote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

/**
 * Runs a repository's tests in the sandbox at the workspace root. A command with `{file}` runs once
 * per file of `files`, each file's identity being its path and its result the exit status; any other
 * command runs once and its output is parsed for per-test results (see `parseTestResults`).
 *
 * @example
 * const { results } = await runTests(sandbox, workspace.path, "npm test", {});
 * const perFile = await runTests(sandbox, workspace.path, "node --test {file}", { files: ["test/sum.test.js"] });
 */
export async function runTests(
  runner: CommandRunner,
  root: string,
  command: string,
  options: { files?: readonly string[]; signal?: AbortSignal; timeoutMs?: number },
): Promise<TestRun> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS;
  const run = async (line: string) => {
    const result = await runner.run({
      argv: ["bash", "-lc", line],
      cwd: root,
      timeoutMs,
      signal: options.signal,
    });
    const timedOut = result.timedOut ? `\n[timed out after ${timeoutMs} ms]` : "";
    return {
      exitCode: result.exitCode,
      log: `$ ${line}\n${result.output}${timedOut}\n[exit ${result.exitCode}]\n`,
    };
  };
  if (!command.includes(FILE_PLACEHOLDER)) {
    const { log } = await run(command);
    return { results: parseTestResults(log), output: log };
  }
  const results: TestResults = new Map();
  let output = "";
  for (const file of options.files ?? []) {
    const { exitCode, log } = await run(command.replaceAll(FILE_PLACEHOLDER, shellQuote(file)));
    results.set(file, exitCode === 0 ? "pass" : "fail");
    output += log;
  }
  return { results, output };
}
