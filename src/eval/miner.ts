import { appendFile, readFile } from "node:fs/promises";
import path from "node:path";
import type { AgentSessionDependencies } from "../tasks/agent-session.ts";
import { type Candidate, type HistoryCommit, selectCandidate } from "./candidates.ts";
import {
  commitMessage,
  diffPaths,
  fileAt,
  listCommits,
  type RepositoryReader,
  repoConfigAt,
  treePaths,
} from "./history.ts";
import { problemStatement } from "./problem-statement.ts";
import { type EvalTask, formatTaskLine, parseTaskSet } from "./task-set.ts";
import { detectTestCommand, FILE_PLACEHOLDER, NODE_FILE_COMMAND } from "./test-command.ts";
import { isNodeTestFile } from "./test-paths.ts";
import type { TestResults } from "./test-results.ts";
import { runTests } from "./test-run.ts";
import { stableResults, testTransitions } from "./test-transitions.ts";
import { type FileChange, type TestWorkspace, withTestWorkspace, writeFiles } from "./test-workspace.ts";

export type MineOptions = {
  /** The repository as tasks will name it: an absolute path or a URL. */
  repo: string;
  /** The task set to write (appended to; commits already in it are skipped). */
  out: string;
  since?: string;
  /** Stop once the set holds this many tasks. */
  max?: number;
  testCommand?: string;
  /** The longest one test run may take (a test that hangs before the fix fails). */
  testTimeoutMs?: number;
  /** How many times the tests run on the fixed commit; only tests passing every time count (default 2). */
  repeat?: number;
  signal: AbortSignal;
  /** One line of progress (for stderr). */
  progress(line: string): void;
};

export type MineSummary = {
  kept: number;
  rejected: number;
  errors: number;
  total: number;
  stoppedEarly: boolean;
};

/** Why a commit was not kept, remembered next to the set so a resumed run does not test it again. */
type RejectedLine = { commit: string; reason: string };

/** Where the commits examined and not kept are listed, next to the task set. */
export const rejectedFile = (out: string) => `${out}.rejected.jsonl`;

async function readLines(file: string): Promise<string | undefined> {
  return readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
}

/** What happened to one candidate. */
type Verdict = { kind: "kept"; task: EvalTask; note: string } | { kind: "rejected"; reason: string };

const short = (sha: string) => sha.slice(0, 12);

/**
 * The name of the repository in task ids: the last part of its path or URL that is not a generic
 * `.git` or `repo` folder.
 */
function repositoryName(repo: string): string {
  const parts = repo
    .replace(/\/+$/, "")
    .split("/")
    .map((part) => part.replace(/\.git$/, ""))
    .filter((part) => part !== "" && part !== "repo");
  return (parts.at(-1) ?? "repo").replace(/[^A-Za-z0-9._-]/g, "_") || "repo";
}

/** Contents of `paths` at a commit (null where the commit has no such file). */
async function contentsAt(
  reader: RepositoryReader,
  sha: string,
  paths: readonly string[],
): Promise<FileChange[]> {
  return Promise.all(
    paths.map(async (file) => ({ path: file, content: (await fileAt(reader, sha, file)) ?? null })),
  );
}

/**
 * Runs one candidate: tests before the fix (its test changes on the parent) and after it (the
 * commit), parsing per-test results, else falling back to each changed JavaScript test file alone.
 */
async function examine(
  deps: AgentSessionDependencies,
  reader: RepositoryReader,
  options: MineOptions,
  commit: HistoryCommit,
  candidate: Candidate,
): Promise<Verdict> {
  const parent = commit.parents[0] as string;
  const { config } = await repoConfigAt(reader, commit.sha);
  const detected = detectTestCommand({
    override: options.testCommand,
    configured: config.eval.test_command,
    packageJson: await fileAt(reader, commit.sha, "package.json"),
    paths: await treePaths(reader, commit.sha),
  });
  if (!detected) {
    return { kind: "rejected", reason: "no test command (pass --test-command or set eval.test_command)" };
  }
  const tests = await contentsAt(reader, commit.sha, candidate.tests);
  const fixed = await contentsAt(reader, commit.sha, [...candidate.sources, ...candidate.others]);
  const unfixed = await contentsAt(reader, parent, [...candidate.sources, ...candidate.others]);
  const changedTests = tests.filter((file) => file.content !== null).map((file) => file.path);
  const request = {
    url: options.repo,
    sha: parent,
    branch: `eval-mine-${short(commit.sha)}`,
    config,
    signal: options.signal,
  };

  const outcome = await withTestWorkspace(deps, request, async (workspace: TestWorkspace) => {
    const run = (command: string, files: readonly string[]) =>
      runTests(workspace.sandbox, workspace.path, command, {
        files,
        signal: options.signal,
        timeoutMs: options.testTimeoutMs,
      });
    // A flaky test that happens to pass once would make a task no fix resolves reliably.
    const repeated = async (command: string, files: readonly string[]) => {
      const runs: TestResults[] = [];
      for (let round = 0; round < (options.repeat ?? 2); round++)
        runs.push((await run(command, files)).results);
      return stableResults(runs);
    };
    await writeFiles(workspace.sandbox.files, workspace.path, tests);
    const perFile = detected.command.includes(FILE_PLACEHOLDER);
    const before = (await run(detected.command, changedTests)).results;
    await writeFiles(workspace.sandbox.files, workspace.path, fixed);
    const after = await repeated(detected.command, changedTests);
    if (perFile || (before.size > 0 && after.size > 0)) {
      return { command: detected.command, before, after, fallback: undefined };
    }
    const runnable = changedTests.filter(isNodeTestFile);
    if (runnable.length === 0) return undefined;
    const afterFiles = await repeated(NODE_FILE_COMMAND, runnable);
    await writeFiles(workspace.sandbox.files, workspace.path, unfixed);
    const beforeFiles = await run(NODE_FILE_COMMAND, runnable);
    return {
      command: NODE_FILE_COMMAND,
      before: beforeFiles.results,
      after: afterFiles,
      fallback: `the output of \`${detected.command}\` names no tests`,
    };
  });
  if (!outcome) {
    return {
      kind: "rejected",
      reason: `the output of \`${detected.command}\` names no tests and no changed test file is JavaScript to run alone`,
    };
  }
  const transitions = testTransitions(outcome.before, outcome.after);
  if (transitions.failToPass.length === 0) {
    return {
      kind: "rejected",
      reason: `no test fails before the fix and passes after it (\`${outcome.command}\`: ${outcome.after.size} tests after)`,
    };
  }
  const statement = problemStatement(await commitMessage(reader, commit.sha));
  if (statement === "") return { kind: "rejected", reason: "the commit message is empty" };
  const task: EvalTask = {
    instance_id: `${repositoryName(options.repo)}-${short(commit.sha)}`,
    repo: options.repo,
    base_commit: parent,
    problem_statement: statement,
    patch: await diffPaths(reader, parent, commit.sha, [...candidate.sources, ...candidate.others]),
    test_patch: await diffPaths(reader, parent, commit.sha, candidate.tests),
    FAIL_TO_PASS: transitions.failToPass,
    PASS_TO_PASS: transitions.passToPass,
    test_command: outcome.command,
    commit: commit.sha,
    created_at: commit.date,
  };
  const granularity = outcome.command.includes(FILE_PLACEHOLDER) ? "test files" : "tests";
  const how = outcome.fallback ?? `from ${detected.source}`;
  return {
    kind: "kept",
    task,
    note: `${transitions.failToPass.length} fail→pass, ${transitions.passToPass.length} pass→pass ${granularity} (\`${outcome.command}\`, ${how})`,
  };
}

/**
 * `loopwright eval mine`: walks the repository's history (newest first) for commits that change
 * source and tests together and, for each, runs the tests in the sandbox on the parent with the
 * commit's test changes applied and on the commit itself; a commit is kept as a task when some test
 * fails before and passes after. Tasks are appended to `out` as they are found, rejected commits to
 * `<out>.rejected.jsonl` with the reason, and both are skipped by a later run (resumable). Stops at
 * `max` tasks or when the signal aborts (the time budget, Ctrl-C).
 *
 * @example
 * const summary = await mineTasks(deps, { repo: "/src/app", out: "tasks.jsonl", max: 20, signal, progress: console.error });
 */
export async function mineTasks(deps: AgentSessionDependencies, options: MineOptions): Promise<MineSummary> {
  const mirror = await deps.workspaces.cache.acquire({ url: options.repo, signal: options.signal });
  try {
    const reader: RepositoryReader = {
      dir: mirror.path,
      display: mirror.location.display,
      signal: options.signal,
    };
    const existing = await readLines(options.out);
    const kept = existing === undefined ? [] : parseTaskSet(existing, options.out);
    const seen = new Set(kept.flatMap((task) => (task.commit ? [task.commit] : [])));
    const rejectedText = (await readLines(rejectedFile(options.out))) ?? "";
    for (const line of rejectedText.split("\n")) {
      if (line.trim() === "") continue;
      try {
        seen.add((JSON.parse(line) as RejectedLine).commit);
      } catch {
        // A line cut short by a crash: that commit is simply examined again.
      }
    }
    const commits = await listCommits(reader, { since: options.since });
    const candidates = commits.flatMap((commit) => {
      const selected = selectCandidate(commit);
      return selected.kind === "candidate" && !seen.has(commit.sha) ? [{ commit, candidate: selected }] : [];
    });
    options.progress(
      `${commits.length} commits${options.since ? ` since ${options.since}` : ""}; ${candidates.length} change source and tests together and are not examined yet; ${kept.length} tasks already in ${path.basename(options.out)}`,
    );
    const summary: MineSummary = { kept: 0, rejected: 0, errors: 0, total: kept.length, stoppedEarly: false };
    for (const [index, { commit, candidate }] of candidates.entries()) {
      if (options.max !== undefined && summary.total >= options.max) {
        summary.stoppedEarly = index < candidates.length;
        break;
      }
      if (options.signal.aborted) {
        summary.stoppedEarly = true;
        break;
      }
      const label = `[${index + 1}/${candidates.length}] ${short(commit.sha)} ${commit.subject.slice(0, 60)}`;
      const started = performance.now();
      let verdict: Verdict;
      try {
        verdict = await examine(deps, reader, options, commit, candidate);
      } catch (error) {
        if (options.signal.aborted) {
          summary.stoppedEarly = true;
          break;
        }
        summary.errors += 1;
        options.progress(`${label}: error: ${(error as Error).message}`);
        continue;
      }
      const seconds = `${((performance.now() - started) / 1000).toFixed(1)} s`;
      if (verdict.kind === "kept") {
        await appendFile(options.out, `${formatTaskLine(verdict.task)}\n`);
        summary.kept += 1;
        summary.total += 1;
        options.progress(`${label}: kept: ${verdict.note} (${seconds})`);
      } else {
        const line: RejectedLine = { commit: commit.sha, reason: verdict.reason };
        await appendFile(rejectedFile(options.out), `${JSON.stringify(line)}\n`);
        summary.rejected += 1;
        options.progress(`${label}: skipped: ${verdict.reason} (${seconds})`);
      }
    }
    return summary;
  } finally {
    await mirror.release();
  }
}
