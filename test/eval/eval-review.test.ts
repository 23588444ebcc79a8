import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseReviewResults, summarizeReviews } from "../../src/eval/review-score.ts";
import { parseReviewSet } from "../../src/eval/review-set.ts";
import { formatPercent } from "../../src/eval/summary.ts";
import { REVIEW_INSTRUCTIONS } from "../../src/tasks/review-prompt.ts";
import { cleanEnv, runCli } from "../helpers/cli-process.ts";
import { startFakeOpenAI } from "../helpers/fake-openai.ts";
import { git, removeDir, tempDir } from "../workspace/helpers/git-repos.ts";
import { createHistoryRepo, type HistoryRepo, writeText } from "./helpers/history-repo.ts";

const MINUTES = 60_000;

/** Seeds a flipped operator in `sum` (lib/math.js line 2) on top of the clamp fix. */
const SEED_SUM = `diff --git a/lib/math.js b/lib/math.js
--- a/lib/math.js
+++ b/lib/math.js
@@ -1,3 +1,3 @@
 export function sum(a, b) {
-  return a + b;
+  return a - b;
 }
`;

/** A replay transcript that submits these findings (each `[path, start, end]`). */
function submitting(findings: [string, number, number][]): string {
  const review = {
    summary: "Reviewed.",
    findings: findings.map(([file, start, end]) => ({
      title: "Wrong result",
      body: "sum(2, 3) returns -1.",
      priority: "P1",
      confidence: 0.9,
      path: file,
      start_line: start,
      end_line: end,
    })),
  };
  return `${JSON.stringify({
    output: [
      { type: "function_call", name: "submit_review", arguments: JSON.stringify(review), call_id: "r1" },
    ],
    usage: { input_tokens: 2000, input_tokens_details: { cached_tokens: 0 }, output_tokens: 100 },
  })}\n`;
}

describe("loopwright eval review, as real processes on a repository the test makes", () => {
  let root: string;
  let repo: HistoryRepo;
  let setFile: string;
  const evalCli = (args: string[]) =>
    runCli(["eval", ...args], { env: cleanEnv({ LOOPWRIGHT_DATA_DIR: path.join(root, "data") }), cwd: root });
  const reviewCli = (args: string[]) => evalCli(["review", ...args]);
  const results = (run: string) => {
    const file = path.join(root, run, "results.jsonl");
    return parseReviewResults(readFileSync(file, "utf8"), file);
  };

  beforeAll(() => {
    root = tempDir("eval-review");
    repo = createHistoryRepo(root);
    setFile = path.join(root, "reviews.jsonl");
    const cases = [
      // A real commit as a clean pull request.
      {
        instance_id: "clamp-clean",
        repo: "mini",
        base_commit: git(repo.path, "rev-parse", `${repo.clampFix}^`),
        head_commit: repo.clampFix,
        title: "Fix clamp above the maximum",
        clean: true,
      },
      // The same commit with a bug seeded on top: the patch completes the pull request.
      {
        instance_id: "sum-seeded",
        repo: "mini",
        base_commit: git(repo.path, "rev-parse", `${repo.clampFix}^`),
        head_commit: repo.clampFix,
        patch: SEED_SUM,
        title: "Fix clamp above the maximum",
        bug: { path: "lib/math.js", line: 2, description: "+ flipped to -" },
      },
      // A pull request made by the patch alone.
      {
        instance_id: "sum-seeded-alone",
        repo: "mini",
        base_commit: repo.clampFix,
        patch: SEED_SUM,
        bug: { path: "lib/math.js", line: 2 },
      },
    ];
    writeText(setFile, cases.map((line) => `${JSON.stringify(line)}\n`).join(""));
  });
  afterAll(() => removeDir(root));

  it(
    "the review oracle finds every seeded bug and reports nothing on the clean pull request",
    async () => {
      const { code, output } = await reviewCli(["reviews.jsonl", "--oracle", "--out", "runs/oracle"]);
      expect(code, output).toBe(0);
      expect(output).toContain(
        "oracle: found 2 of 2 seeded bugs (recall 100.0%), 0.00 false findings per clean pull request",
      );
      const byId = new Map(results("runs/oracle").map((result) => [result.instance_id, result]));
      expect(byId.get("clamp-clean")).toMatchObject({ expected: "clean", false_findings: 0, failure: null });
      expect(byId.get("sum-seeded")).toMatchObject({ found: true, matched: [0], failure: null });
      expect(byId.get("sum-seeded-alone")).toMatchObject({ found: true, failure: null });
      // The review saw the pull request's head: the seeded commit on top of the clamp fix.
      const steps = readFileSync(path.join(root, "runs/oracle/steps/sum-seeded.jsonl"), "utf8");
      const workspace = steps
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line))
        .find((step) => step.kind === "workspace");
      expect(workspace.payload.baseSha).toMatch(/^[0-9a-f]{40}$/);
      expect(workspace.payload.baseSha).not.toBe(repo.clampFix);
    },
    5 * MINUTES,
  );

  it(
    "scores a replayed reviewer: the bug found in one pull request, missed in another, a false finding on the clean one; report.md agrees with results.jsonl",
    async () => {
      const replayRun = [
        "reviews.jsonl",
        "--replay-dir",
        "transcripts",
        "--model",
        "gpt-5",
        "--out",
        "runs/replay",
      ];
      const transcripts = path.join(root, "transcripts");
      writeText(path.join(transcripts, "sum-seeded.jsonl"), submitting([["lib/math.js", 2, 2]]));
      // Line 6 is 4 lines from the bug: not a match.
      writeText(path.join(transcripts, "sum-seeded-alone.jsonl"), submitting([["lib/math.js", 6, 7]]));
      writeText(path.join(transcripts, "clamp-clean.jsonl"), submitting([["lib/math.js", 6, 6]]));
      const { code, output } = await reviewCli(replayRun);
      expect(code, output).toBe(0);
      const scored = results("runs/replay");
      const byId = new Map(scored.map((result) => [result.instance_id, result]));
      expect(byId.get("sum-seeded")).toMatchObject({ found: true, matched: [0] });
      expect(byId.get("sum-seeded-alone")).toMatchObject({ found: false, matched: [] });
      expect(byId.get("clamp-clean")).toMatchObject({ false_findings: 1 });
      expect(byId.get("clamp-clean")?.tokens.total).toBe(2100);
      expect(byId.get("clamp-clean")?.cost_usd).toBeGreaterThan(0);

      const summary = summarizeReviews(scored);
      expect(summary).toMatchObject({ seeded: 2, found: 1, clean: 1, falseFindings: 1, falsePerClean: 1 });
      const report = readFileSync(path.join(root, "runs/replay/report.md"), "utf8");
      const interval = summary.interval as { low: number; high: number };
      expect(report).toContain(
        `| Recall | 1 of 2 seeded bugs found: 50.0% (95% CI ${formatPercent(interval.low)}–${formatPercent(interval.high)}) |`,
      );
      expect(report).toContain(
        "| False findings per clean pull request | 1.00 (1 on 1; 1 of them flagged) |",
      );
      expect(report).toContain("| sum-seeded-alone | lib/math.js:2 | missed | lib/math.js:6-7 |");
      const html = readFileSync(path.join(root, "runs/replay/report.html"), "utf8");
      expect(html).toContain("<td>1 of 2 seeded bugs found: 50.0%");
      expect(html).toContain('<td class="no">missed</td>');
      expect(html).not.toMatch(/<script|<link|<img|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
      expect(output).toContain(
        "gpt-5: found 1 of 2 seeded bugs (recall 50.0%), 1.00 false findings per clean pull request",
      );

      // A second run with the same folder has nothing left to do.
      const again = await reviewCli(replayRun);
      expect(again.code, again.output).toBe(0);
      expect(again.output).toContain("3 tasks; 3 already in");
      expect(results("runs/replay")).toHaveLength(3);

      const compared = await evalCli(["compare", "runs/oracle", "runs/replay"]);
      expect(compared.code, compared.output).toBe(0);
      expect(compared.output).toContain("| oracle | oracle | 3 | 2/2 | 100.0% (34.2%–100.0%) | 0.00 |");
      expect(compared.output).toContain("| replay | gpt-5 | 3 | 1/2 | 50.0% (9.5%–90.5%) | 1.00 |");
      expect(compared.output).toContain("| sum-seeded-alone | ✓ | ✗ missed |");
      expect(compared.output).toContain("| clamp-clean | ✓ clean | ✗ 1 false |");
      // An eval run's folder does not take a review run.
      writeText(
        path.join(root, "runs/fix/run.json"),
        JSON.stringify({
          model: "oracle",
          api: null,
          task_set: "tasks.jsonl",
          tasks: 1,
          started_at: "2026-01-01",
          run_id: "r1",
        }),
      );
      const mixed = await reviewCli(["reviews.jsonl", "--oracle", "--out", "runs/fix"]);
      expect(mixed.code).toBe(1);
      expect(mixed.output).toContain("runs/fix holds an eval run, not an eval review: choose another --out");
    },
    5 * MINUTES,
  );

  it(
    "seeds a set from the history, the same every time, which the review oracle scores perfectly",
    async () => {
      const seed = await reviewCli(["seed", "--repo", "mini", "--out", "seeded.jsonl", "--max", "2"]);
      expect(seed.code, seed.output).toBe(0);
      expect(seed.output).toContain("4 pull requests from 2 commits");
      const first = readFileSync(path.join(root, "seeded.jsonl"), "utf8");
      const cases = parseReviewSet(first, "seeded.jsonl");
      expect(cases.map((line) => ("clean" in line && line.clean ? "clean" : "bug"))).toEqual([
        "clean",
        "bug",
        "clean",
        "bug",
      ]);
      for (const line of cases.filter((candidate) => candidate.bug)) {
        expect(line.patch).toContain(`--- a/${line.bug?.path}`);
        expect(line.bug?.description).toMatch(/flipped|off-by-one|null check/);
      }
      const again = await reviewCli(["seed", "--repo", "mini", "--out", "seeded.jsonl", "--max", "2"]);
      expect(again.code, again.output).toBe(0);
      expect(readFileSync(path.join(root, "seeded.jsonl"), "utf8")).toBe(first);

      const { code, output } = await reviewCli(["seeded.jsonl", "--oracle", "--out", "runs/seeded"]);
      expect(code, output).toBe(0);
      expect(output).toContain("oracle: found 2 of 2 seeded bugs (recall 100.0%), 0.00 false findings");
    },
    5 * MINUTES,
  );

  it(
    "a model by name gets the review task's instructions, submit_review and the pull request's diff",
    async () => {
      const one = path.join(root, "one.jsonl");
      writeText(one, `${readFileSync(setFile, "utf8").split("\n")[1]}\n`);
      const openai = await startFakeOpenAI([
        {
          output: [
            {
              type: "function_call",
              name: "shell",
              arguments: JSON.stringify({ command: "git log --all --format=%s" }),
              call_id: "s1",
            },
          ],
        },
        JSON.parse(submitting([["lib/math.js", 1, 3]])) as { output: unknown[] },
      ]);
      try {
        const { code, output } = await runCli(
          ["eval", "review", "one.jsonl", "--model", "gpt-5", "--out", "runs/api"],
          {
            env: cleanEnv({
              LOOPWRIGHT_DATA_DIR: path.join(root, "data"),
              OPENAI_BASE_URL: openai.baseUrl,
              OPENAI_API_KEY: "test-key",
            }),
            cwd: root,
          },
        );
        expect(code, output).toBe(0);
        expect(output).toContain("gpt-5: found 1 of 1 seeded bugs (recall 100.0%)");
        const request = openai.requests[0] as {
          instructions: string;
          input: unknown;
          tools: { name: string }[];
        };
        expect(request.instructions).toBe(REVIEW_INSTRUCTIONS);
        expect(request.tools.map((tool) => tool.name)).toContain("submit_review");
        const text = JSON.stringify(request.input);
        // The whole pull request: the clamp fix and the seeded bug on top of it, nothing later.
        expect(text).toContain("+  if (value > max) return max;");
        expect(text).toContain("-  return a + b;\\n+  return a - b;");
        expect(text).not.toContain("lib/strings.js");
        // The history the reviewer sees: the base's, and the pull request as one commit on top (the
        // seeded line is not a commit of its own); no later commit.
        const log = JSON.stringify((openai.requests[1] as { input: unknown }).input);
        expect(log).toMatch(/Fix clamp above the maximum\\nInitial version/);
        expect(log).not.toMatch(/Rename a local variable|Fix pad/);
      } finally {
        await openai.close();
      }
    },
    5 * MINUTES,
  );

  it(
    "a model that never calls submit_review fails every review, and a patch that does not apply is an error",
    async () => {
      const broken = path.join(root, "broken.jsonl");
      writeText(
        broken,
        `${JSON.stringify({
          instance_id: "does-not-apply",
          repo: "mini",
          base_commit: repo.clampFix,
          patch: SEED_SUM.replace("return a + b;", "return a * b;"),
          bug: { path: "lib/math.js", line: 2 },
        })}\n${JSON.stringify({
          instance_id: "clean-noop",
          repo: "mini",
          base_commit: git(repo.path, "rev-parse", `${repo.clampFix}^`),
          head_commit: repo.clampFix,
          clean: true,
        })}\n`,
      );
      const { code, output } = await reviewCli(["broken.jsonl", "--model", "noop", "--out", "runs/noop"]);
      expect(code, output).toBe(0);
      const byId = new Map(results("runs/noop").map((result) => [result.instance_id, result]));
      expect(byId.get("does-not-apply")).toMatchObject({ failure: "error", found: false });
      expect(byId.get("does-not-apply")?.detail).toMatch(/the case's patch does not apply/);
      expect(byId.get("clean-noop")).toMatchObject({ failure: "no_review", false_findings: null });
      const report = readFileSync(path.join(root, "runs/noop/report.md"), "utf8");
      expect(report).toContain("| Recall | 0 of 1 seeded bugs found: 0.0%");
      expect(report).toContain("ended without submit_review: 1, error: 1");
    },
    5 * MINUTES,
  );
});
