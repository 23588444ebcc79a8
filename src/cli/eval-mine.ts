import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { parseRepositoryUrl } from "../workspace/repository-url.ts";
import { defineCommand, integerOption, UsageError } from "./command.ts";

/**
 * `--repo` as tasks store it: a URL as given, a local folder made absolute after checking it is a git
 * repository.
 *
 * @example
 * repositoryOption("../app"); // "/home/me/app"
 * @throws UsageError when the folder does not exist or is not a git repository
 */
export function repositoryOption(value: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    try {
      parseRepositoryUrl(value);
    } catch (error) {
      throw new UsageError(`--repo: ${(error as Error).message}`);
    }
    return value;
  }
  const folder = path.resolve(value);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new UsageError(`--repo: there is no folder ${folder}`);
  }
  if (!existsSync(path.join(folder, ".git")) && !existsSync(path.join(folder, "objects"))) {
    throw new UsageError(`--repo: ${folder} is not a git repository`);
  }
  return folder;
}

export const mineCommand = defineCommand({
  name: "eval mine",
  usage: `
Usage: loopwright eval mine --repo PATH_OR_URL --out TASKS.jsonl [--since DATE] [--max N]
                            [--test-command CMD] [--test-timeout SECONDS] [--repeat N]
                            [--time-budget MINUTES]

Mines the repository's history (newest first, merges left out) for commits that change source and
tests together. For each, the tests run in the sandbox (no network) on the parent with the commit's
test changes applied, then on the commit; it becomes a task when some test fails before and passes
after (FAIL_TO_PASS), tests passing in both being PASS_TO_PASS. Tasks are appended to TASKS.jsonl in
the SWE-bench format (plus test_command and commit); commits examined and not kept are listed with
the reason in TASKS.jsonl.rejected.jsonl. Both are skipped when mining again, so a run can be resumed.

The test command is --test-command, else eval.test_command of .github/loopwright.yml, else
\`npm test\` when package.json has a test script, else \`node --test\` when the tree has test files
node finds by itself. Per-test results are read from the output (node's test runner, TAP or spec;
pytest; go test -v); when it names no tests, each changed JavaScript test file runs alone
(\`node --test FILE\`) and the test identities are the files. A command with {file} runs once per
changed test file.

--since DATE     only commits after DATE (any date git understands: 2024-01-31, "6 months ago")
--max N          stop when TASKS.jsonl holds N tasks
--test-timeout S the longest one test run may take (default 300 s): tests that hang before a fix fail
--repeat N       run the tests on the fixed commit N times (default 2); only tests passing every time
                 count, so a flaky test does not make a task no fix resolves reliably
--time-budget M  stop after M minutes (the commit being examined then is examined again next time)

Progress goes to stderr. Exit status: 0 done (or the budget reached), 1 error, 130 interrupted.`,
  options: {
    repo: { type: "string" },
    out: { type: "string" },
    since: { type: "string" },
    max: { type: "string" },
    "test-command": { type: "string" },
    "time-budget": { type: "string" },
    "test-timeout": { type: "string" },
    repeat: { type: "string" },
  },
  async run({ values }) {
    if (values.repo === undefined) throw new UsageError("--repo is required: the repository to mine");
    if (values.out === undefined)
      throw new UsageError("--out is required: the task set to write (JSON Lines)");
    const repo = repositoryOption(values.repo);
    const max = integerOption("max", values.max, 1);
    const budgetMinutes = integerOption("time-budget", values["time-budget"], 1);
    const testTimeout = integerOption("test-timeout", values["test-timeout"], 1);
    const repeat = integerOption("repeat", values.repeat, 1);
    const out = path.resolve(values.out);
    // Loaded once the arguments are known to be good: --help and argument errors answer without them.
    const [{ mineTasks, rejectedFile }, { onInterrupt, openEvalRuntime }] = await Promise.all([
      import("../eval/miner.ts"),
      import("./eval-runtime.ts"),
    ]);
    const interrupt = onInterrupt(
      "loopwright eval mine: interrupted; stopping (the commit being examined is not recorded)",
    );
    const signals = [interrupt.signal];
    if (budgetMinutes !== undefined) signals.push(AbortSignal.timeout(budgetMinutes * 60_000));
    const signal = AbortSignal.any(signals);
    const runtime = await openEvalRuntime();
    try {
      const summary = await mineTasks(runtime, {
        repo,
        out,
        since: values.since,
        max,
        testCommand: values["test-command"],
        ...(testTimeout !== undefined && { testTimeoutMs: testTimeout * 1000 }),
        ...(repeat !== undefined && { repeat }),
        signal,
        progress: (line) => process.stderr.write(`${line}\n`),
      });
      const why = interrupt.signal.aborted
        ? " (interrupted)"
        : signal.aborted
          ? " (the time budget is used up)"
          : summary.stoppedEarly
            ? ` (--max ${max} reached)`
            : "";
      process.stderr.write(
        `mined ${summary.kept} new tasks, skipped ${summary.rejected} commits, ${summary.errors} errors${why}; ${summary.total} tasks in ${out} (rejected commits: ${rejectedFile(out)})\n`,
      );
      return interrupt.signal.aborted ? 130 : summary.errors > 0 && summary.total === 0 ? 1 : 0;
    } finally {
      interrupt.dispose();
      await runtime.close();
    }
  },
});
