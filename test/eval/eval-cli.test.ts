import { existsSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseResults, parseRunMeta } from "../../src/eval/results.ts";
import { formatPercent, summarizeResults } from "../../src/eval/summary.ts";
import { type EvalTask, parseTaskSet } from "../../src/eval/task-set.ts";
import { cleanEnv, runCli, startCli } from "../helpers/cli-process.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { git, removeDir, tempDir } from "../workspace/helpers/git-repos.ts";
import { createHistoryRepo, createScriptRepo, type HistoryRepo, writeText } from "./helpers/history-repo.ts";

const MINUTES = 60_000;

/** A transcript line: the model's output items, with usage so tokens and cost are known. */
const turn = (output: unknown[]) =>
  JSON.stringify({
    output,
    usage: { input_tokens: 1000, input_tokens_details: { cached_tokens: 200 }, output_tokens: 50 },
  });
const applyPatch = (patch: string, id = "c1") =>
  turn([
    { type: "function_call", name: "apply_patch", arguments: JSON.stringify({ input: patch }), call_id: id },
  ]);
const shell = (command: string, id = "s1") =>
  turn([{ type: "function_call", name: "shell", arguments: JSON.stringify({ command }), call_id: id }]);
const say = (text: string) =>
  turn([{ type: "message", role: "assistant", content: [{ type: "output_text", text }] }]);

const FIX_CLAMP = `*** Begin Patch
*** Update File: lib/math.js
@@
   if (value < min) return min;
+  if (value > max) return max;
   return value;
*** End Patch
`;

/** A patch whose context line is not what the file has. */
const WRONG_PAD_CONTEXT = `*** Begin Patch
*** Update File: lib/strings.js
@@
 export function pad(text, width) {
-  return " ".repeat(width - text.length) + text;
+  return "x";
*** End Patch
`;

/** Fixes pad, and breaks sum on the way: PASS_TO_PASS tests fail. */
const FIX_PAD_BREAK_SUM = `*** Begin Patch
*** Update File: lib/strings.js
@@
-  return " ".repeat(width - text.length + 1) + text;
+  return " ".repeat(Math.max(0, width - text.length)) + text;
*** Update File: lib/math.js
@@
 export function sum(a, b) {
-  return a + b;
+  return a - b;
*** End Patch
`;

const lines = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "");

describe("loopwright eval, as real processes on a repository the test makes", () => {
  let root: string;
  let repo: HistoryRepo;
  let tasksFile: string;
  let tasks: EvalTask[];
  const env = () => cleanEnv({ LOOPWRIGHT_DATA_DIR: path.join(root, "data") });
  const evalCli = (args: string[]) => runCli(["eval", ...args], { env: env(), cwd: root });
  const idOf = (sha: string) => `mini-${sha.slice(0, 12)}`;
  const task = (sha: string) => tasks.find((candidate) => candidate.instance_id === idOf(sha)) as EvalTask;

  beforeAll(() => {
    root = tempDir("eval-cli");
    repo = createHistoryRepo(root);
    tasksFile = path.join(root, "tasks.jsonl");
  });
  afterAll(() => removeDir(root));

  it(
    "mines the two fixes with tests, skips the rest, and skips what it has seen when run again",
    async () => {
      const { code, output } = await evalCli(["mine", "--repo", "mini", "--out", "tasks.jsonl"]);
      expect(code, output).toBe(0);
      expect(output).toContain("6 commits; 3 change source and tests together and are not examined yet");
      expect(output).toMatch(/Tidy the sum tests: skipped: no test fails before the fix and passes after it/);
      expect(output).toContain("mined 2 new tasks, skipped 1 commits, 0 errors");
      tasks = parseTaskSet(readFileSync(tasksFile, "utf8"), tasksFile);
      expect(tasks.map((candidate) => candidate.instance_id)).toEqual([
        idOf(repo.padFix),
        idOf(repo.clampFix),
      ]);

      const clamp = task(repo.clampFix);
      expect(clamp).toMatchObject({
        repo: repo.path,
        base_commit: git(repo.path, "rev-parse", `${repo.clampFix}^`),
        commit: repo.clampFix,
        test_command: "npm test",
        FAIL_TO_PASS: ["clamp > lowers values above the maximum"],
        PASS_TO_PASS: [
          "clamp > raises values below the minimum",
          "sum adds two numbers",
          "sum handles negatives",
        ],
        problem_statement:
          "Fix clamp above the maximum\n\nclamp(11, 0, 10) returned 11: values above the maximum were not lowered.",
      });
      expect(clamp.patch).toContain("+++ b/lib/math.js");
      expect(clamp.patch).not.toContain("test/");
      expect(clamp.test_patch).toContain("+++ b/test/math.test.js");
      expect(clamp.test_patch).not.toContain("+++ b/lib/math.js");
      expect(task(repo.padFix).FAIL_TO_PASS).toEqual(["pad leaves long text alone", "pad pads to the width"]);
      expect(lines(`${tasksFile}.rejected.jsonl`).map((line) => JSON.parse(line).commit)).toEqual([
        repo.tidy,
      ]);

      const again = await evalCli(["mine", "--repo", "mini", "--out", "tasks.jsonl"]);
      expect(again.code, again.output).toBe(0);
      expect(again.output).toContain(
        "0 change source and tests together and are not examined yet; 2 tasks already in",
      );
      expect(lines(tasksFile)).toHaveLength(2);
    },
    5 * MINUTES,
  );

  it(
    "--oracle resolves every task, and the reports say what results.jsonl says",
    async () => {
      const { code, output } = await evalCli(["run", "tasks.jsonl", "--oracle", "--out", "runs/oracle"]);
      expect(code, output).toBe(0);
      expect(output).toContain("oracle: resolved 2 of 2 (100.0%)");
      const run = path.join(root, "runs/oracle");
      const results = parseResults(readFileSync(path.join(run, "results.jsonl"), "utf8"), "results");
      expect(results.map((result) => [result.instance_id, result.resolved, result.failure])).toEqual([
        [idOf(repo.padFix), true, null],
        [idOf(repo.clampFix), true, null],
      ]);
      expect(results[1]?.tests).toEqual({
        fail_to_pass: { passed: 1, total: 1, failed: [] },
        pass_to_pass: { passed: 3, total: 3, failed: [] },
      });

      const summary = summarizeResults(results);
      const report = readFileSync(path.join(run, "report.md"), "utf8");
      const interval = summary.interval as { low: number; high: number };
      expect(report).toContain(
        `| Resolved | 2 of 2: 100.0% (95% CI ${formatPercent(interval.low)}–${formatPercent(interval.high)}) |`,
      );
      for (const result of results) {
        expect(report).toContain(`| ${result.instance_id} | yes |  | ${result.tests?.fail_to_pass.passed}/`);
      }
      const html = readFileSync(path.join(run, "report.html"), "utf8");
      expect(html).toContain("<svg");
      expect(html).toContain("Resolve rate by task size");
      expect(html).toContain("2 of 2: 100.0%");
      expect(html).not.toMatch(/<script|<link|src="http/);
      expect(parseRunMeta(readFileSync(path.join(run, "run.json"), "utf8"), "run.json").model).toBe("oracle");

      // Every transcript replays with `loopwright replay` on a checkout of the base commit.
      const clamp = task(repo.clampFix);
      const checkout = path.join(root, "checkout");
      git(root, "clone", "--quiet", repo.path, checkout);
      git(checkout, "checkout", "--quiet", clamp.base_commit);
      const replayed = await runCli(
        ["replay", path.join(run, "transcripts", `${clamp.instance_id}.jsonl`), "--cwd", checkout],
        { env: env() },
      );
      expect(replayed.code, replayed.output).toBe(0);
      expect(readFileSync(path.join(checkout, "lib/math.js"), "utf8")).toContain(
        "if (value > max) return max;",
      );
    },
    5 * MINUTES,
  );

  it(
    "--model noop resolves none: nothing changes",
    async () => {
      const { code, output } = await evalCli(["run", "tasks.jsonl", "--model", "noop", "--out", "runs/noop"]);
      expect(code, output).toBe(0);
      expect(output).toContain("noop: resolved 0 of 2 (0.0%)");
      const results = parseResults(readFileSync(path.join(root, "runs/noop/results.jsonl"), "utf8"), "r");
      expect(results.map((result) => [result.resolved, result.failure, result.tests])).toEqual([
        [false, "no_change", null],
        [false, "no_change", null],
      ]);
    },
    5 * MINUTES,
  );

  it(
    "a scripted model that fixes one task and breaks another: resolved, then tests fail; tokens priced",
    async () => {
      const dir = path.join(root, "scripted");
      // The agent looks for the recorded fix in git first: the task's repository must not have it.
      const snoop = `git log --all --format=%s; git cat-file -t ${repo.clampFix} || echo no-such-object`;
      writeText(
        path.join(dir, `${idOf(repo.clampFix)}.jsonl`),
        `${shell(snoop)}\n${applyPatch(FIX_CLAMP)}\n${say("Fixed clamp.")}\n`,
      );
      // A first patch with a wrong context line: the error must say which line and what the file has.
      writeText(
        path.join(dir, `${idOf(repo.padFix)}.jsonl`),
        `${applyPatch(WRONG_PAD_CONTEXT, "c0")}\n${applyPatch(FIX_PAD_BREAK_SUM)}\n${say("Fixed pad.")}\n`,
      );
      writeText(path.join(root, "prices.json"), JSON.stringify({ "gpt-5": { input: 2, output: 20 } }));
      const { code, output } = await evalCli([
        ...["run", "tasks.jsonl", "--replay-dir", "scripted", "--model", "gpt-5"],
        ...["--prices", "prices.json", "--out", "runs/scripted", "--concurrency", "2"],
      ]);
      expect(code, output).toBe(0);
      expect(output).toContain("gpt-5: resolved 1 of 2 (50.0%)");
      const results = parseResults(readFileSync(path.join(root, "runs/scripted/results.jsonl"), "utf8"), "r");
      const clamp = results.find((result) => result.instance_id === idOf(repo.clampFix));
      const pad = results.find((result) => result.instance_id === idOf(repo.padFix));
      expect(clamp).toMatchObject({ resolved: true, failure: null, steps: 3, tool_calls: 2, model: "gpt-5" });
      expect(clamp?.tokens).toEqual({ input: 3000, cached: 600, output: 150, total: 3150 });
      // (2400 uncached × $2 + 600 cached × $2 (no cached price given) + 150 × $20) per million tokens
      expect(clamp?.cost_usd).toBeCloseTo(0.009, 10);
      const steps = readFileSync(
        path.join(root, "runs/scripted/steps", `${idOf(repo.clampFix)}.jsonl`),
        "utf8",
      );
      expect(steps).toContain("Initial version");
      expect(steps).toContain("no-such-object");
      expect(steps).not.toContain("Fix clamp above the maximum");
      expect(pad).toMatchObject({ resolved: false, failure: "tests_fail", steps: 3 });
      const padSteps = readFileSync(
        path.join(root, "runs/scripted/steps", `${idOf(repo.padFix)}.jsonl`),
        "utf8",
      );
      expect(padSteps).toContain(
        'The closest match starts at line 1: line 2 of the expected lines differs; line 2 of the file is `  return \\" \\".repeat(width - text.length + 1) + text;`',
      );
      expect(pad?.tests).toEqual({
        fail_to_pass: { passed: 2, total: 2, failed: [] },
        pass_to_pass: { passed: 2, total: 4, failed: ["sum adds two numbers", "sum handles negatives"] },
      });
      expect(pad?.detail).toBe("PASS_TO_PASS now failing: sum adds two numbers, sum handles negatives");
      expect(readFileSync(path.join(root, "runs/scripted", pad?.patch as string), "utf8")).toContain(
        "-  return a + b;",
      );
      const report = readFileSync(path.join(root, "runs/scripted/report.md"), "utf8");
      expect(report).toContain("| Not resolved | tests fail: 1 |");
      expect(report).toContain("| Cost | $0.0090 per task, $0.0180 in all |");

      const compared = await evalCli(["compare", "runs/oracle", "runs/noop", "runs/scripted"]);
      expect(compared.code, compared.output).toBe(0);
      expect(compared.output).toContain("| oracle | oracle | 2 | 2 | 100.0% (34.2%–100.0%) |");
      expect(compared.output).toContain("| noop | noop | 2 | 0 | 0.0% (0.0%–65.8%) |");
      expect(compared.output).toContain(`| ${idOf(repo.padFix)} | ✓ | ✗ no change | ✗ tests fail |`);
    },
    5 * MINUTES,
  );

  it(
    "runs a SWE-bench-style set: test lists as JSON strings, owner/name found in --repos, --test-command",
    async () => {
      git(root, "clone", "--quiet", "--bare", repo.path, path.join(root, "clones/acme__mini"));
      const swe = tasks.map(({ test_command: _, commit: __, ...rest }) => ({
        ...rest,
        repo: "acme/mini",
        FAIL_TO_PASS: JSON.stringify(rest.FAIL_TO_PASS),
        PASS_TO_PASS: JSON.stringify(rest.PASS_TO_PASS),
        version: "1.0",
      }));
      writeText(path.join(root, "swe.jsonl"), `${swe.map((line) => JSON.stringify(line)).join("\n")}\n`);
      const { code, output } = await evalCli([
        ...["run", "swe.jsonl", "--oracle", "--repos", "clones", "--test-command", "npm test"],
        ...["--out", "runs/swe"],
      ]);
      expect(code, output).toBe(0);
      expect(output).toContain("oracle: resolved 2 of 2 (100.0%)");
    },
    5 * MINUTES,
  );

  it(
    "stops on Ctrl-C keeping finished tasks, and a second run does only the rest",
    async () => {
      const dir = path.join(root, "slow");
      writeText(path.join(dir, `${idOf(repo.padFix)}.jsonl`), `${say("Nothing to do.")}\n`);
      writeText(
        path.join(dir, `${idOf(repo.clampFix)}.jsonl`),
        `${shell("sleep 10")}\n${applyPatch(FIX_CLAMP)}\n${say("Fixed clamp.")}\n`,
      );
      const args = ["eval", "run", "tasks.jsonl", "--replay-dir", "slow", "--out", "runs/slow"];
      const results = path.join(root, "runs/slow/results.jsonl");
      const first = startCli(args, { env: env(), cwd: root });
      await waitFor(
        () => existsSync(results) && lines(results).length === 1,
        4 * MINUTES,
        `the first result\n${first.output()}`,
      );
      first.child.kill("SIGINT");
      expect(await first.exited, first.output()).toBe(130);
      expect(first.output()).toContain(
        "interrupted; stopping (finished tasks are kept, queued ones stay queued",
      );
      expect(first.output()).toContain("1 tasks stay queued; run again with the same --out to collect them");
      expect(lines(results).map((line) => JSON.parse(line).instance_id)).toEqual([idOf(repo.padFix)]);
      expect(readFileSync(path.join(root, "runs/slow/report.md"), "utf8")).toContain(
        "| Tasks | 1 of the 2 in the set (partial run) |",
      );

      const second = await runCli(args, { env: env(), cwd: root });
      expect(second.code, second.output).toBe(0);
      expect(second.output).toContain("2 tasks; 1 already in");
      // The interrupted task was handed back to the queue: the second run waits for it, queueing nothing.
      expect(second.output).toContain("1 to collect (0 queued now, 1 queued before)");
      expect(second.output).toContain("replay: resolved 1 of 2 (50.0%)");
      expect(lines(results).map((line) => JSON.parse(line).instance_id)).toEqual([
        idOf(repo.padFix),
        idOf(repo.clampFix),
      ]);
    },
    8 * MINUTES,
  );

  it(
    "falls back to one test file at a time when the test command names no tests",
    async () => {
      const plain = createScriptRepo(root);
      const { code, output } = await evalCli(["mine", "--repo", plain.path, "--out", "plain.jsonl"]);
      expect(code, output).toBe(0);
      expect(output).toContain(
        "kept: 1 fail→pass, 0 pass→pass test files (`node --test {file}`, the output of `npm test` names no tests)",
      );
      const [mined] = parseTaskSet(readFileSync(path.join(root, "plain.jsonl"), "utf8"), "plain.jsonl");
      expect(mined).toMatchObject({
        test_command: "node --test {file}",
        FAIL_TO_PASS: ["test/run.js"],
        PASS_TO_PASS: [],
      });
      const oracle = await evalCli(["run", "plain.jsonl", "--oracle", "--out", "runs/plain"]);
      expect(oracle.code, oracle.output).toBe(0);
      expect(oracle.output).toContain("oracle: resolved 1 of 1 (100.0%)");
    },
    5 * MINUTES,
  );

  it(
    "says in one line what is wrong with bad input, never with a stack trace",
    async () => {
      writeText(path.join(root, "not-a-repo/file.txt"), "x\n");
      const notRepo = await evalCli(["mine", "--repo", "not-a-repo", "--out", "x.jsonl"]);
      expect(notRepo.code).toBe(2);
      expect(notRepo.output).toContain(`--repo: ${path.join(root, "not-a-repo")} is not a git repository`);

      writeText(path.join(root, "broken.jsonl"), `${lines(tasksFile)[0]}\n{"instance_id": "x"}\n`);
      const broken = await evalCli(["run", "broken.jsonl", "--oracle"]);
      expect(broken.code).toBe(1);
      expect(broken.output).toMatch(/broken\.jsonl line 2: not a task: repo: /);

      const noKey = await evalCli(["run", "tasks.jsonl", "--model", "gpt-5", "--out", "runs/nokey"]);
      expect(noKey.code).toBe(2);
      expect(noKey.output).toMatch(/--model gpt-5: .*OPENAI_API_KEY/);

      const noWorkers = await evalCli(["run", "tasks.jsonl", "--oracle", "--concurrency", "0"]);
      expect(noWorkers.code).toBe(2);
      expect(noWorkers.output).toContain("--concurrency 0 leaves the tasks to other workers");

      // A live process (this test's) holds the embedded database, as a running `loopwright serve` would.
      const lock = path.join(root, "data", "db.lock");
      writeText(lock, `${process.pid} ${os.hostname()}\n`);
      const held = await evalCli(["run", "tasks.jsonl", "--oracle", "--out", "runs/held"]).finally(() =>
        rmSync(lock),
      );
      expect(held.code).toBe(1);
      expect(held.output).toContain(`which process ${process.pid} holds (a \`loopwright serve\`?)`);

      // Another eval run collects into the folder: a second one would write every result twice.
      const folderLock = path.join(root, "runs/oracle/run.lock");
      writeText(folderLock, `${process.pid} ${os.hostname()}\n`);
      const busy = await evalCli(["run", "tasks.jsonl", "--oracle", "--out", "runs/oracle"]).finally(() =>
        rmSync(folderLock),
      );
      expect(busy.code).toBe(1);
      expect(busy.output).toContain(`runs/oracle is in use by the eval run of process ${process.pid}`);

      const twoModels = await evalCli(["run", "tasks.jsonl", "--oracle", "--model", "noop"]);
      expect(twoModels.code).toBe(2);
      expect(twoModels.output).toContain("--oracle replaces the model");

      const otherModel = await evalCli(["run", "tasks.jsonl", "--model", "noop", "--out", "runs/oracle"]);
      expect(otherModel.code).toBe(1);
      expect(otherModel.output).toContain(
        "runs/oracle holds a run of oracle, not noop: choose another --out",
      );

      // A model the provider does not know stops the run at once, recording nothing.
      const server = createServer((_, response) => {
        response.writeHead(404, { "content-type": "application/json" });
        response.end(
          JSON.stringify({ error: { message: "The model `nope` does not exist", code: "model_not_found" } }),
        );
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as AddressInfo;
      const unknown = await runCli(["eval", "run", "tasks.jsonl", "--model", "nope", "--out", "runs/nope"], {
        env: cleanEnv({
          LOOPWRIGHT_DATA_DIR: path.join(root, "data"),
          OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`,
          OPENAI_API_KEY: "test-key",
        }),
        cwd: root,
      }).finally(() => server.close());
      expect(unknown.code, unknown.output).toBe(1);
      expect(unknown.output).toContain("the model nope cannot be used:");
      expect(unknown.output).toContain("does not exist");
      expect(existsSync(path.join(root, "runs/nope/results.jsonl"))).toBe(false);

      for (const output of [
        notRepo.output,
        broken.output,
        noKey.output,
        noWorkers.output,
        otherModel.output,
        unknown.output,
      ]) {
        expect(output).not.toMatch(/^\s+at /m);
      }
    },
    3 * MINUTES,
  );
});
