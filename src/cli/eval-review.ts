import { readFile } from "node:fs/promises";
import path from "node:path";
// Only types at the top: the rest is loaded when the command runs (see eval-run.ts).
import type { ReviewCase } from "../eval/review-set.ts";
import { defineCommand, UsageError } from "./command.ts";
import { runSetCommand, SET_RUN_OPTIONS } from "./eval-run.ts";

async function readReviewSet(file: string): Promise<ReviewCase[]> {
  const { parseReviewSet } = await import("../eval/review-set.ts");
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read the review set ${file}: ${error.code ?? error.message}`);
  });
  const cases = parseReviewSet(text, file);
  if (cases.length === 0) throw new UsageError(`the review set ${file} holds no pull request`);
  return cases;
}

export const reviewCommand = defineCommand({
  name: "eval review",
  usage: `
Usage: loopwright eval review SET.jsonl (--model NAME | --oracle | --replay-dir DIR [--model NAME])
                              [--api responses|chat] [--concurrency N] [--out DIR] [--prices FILE]
                              [--repos DIR]

Reviews each pull request of the set like a review task — a workspace at its head, the diff from its
base, the same instructions, submit_review tool, sandbox and budgets (.github/loopwright.yml at the
base commit) — without GitHub, and scores the findings: a seeded bug is found when a finding on its
file reaches within 3 lines of its line; every finding on a clean pull request is a false one.

Each line of SET.jsonl: instance_id, repo (a path or a URL), base_commit, head_commit and/or patch
(a git diff applied on top), optional title and description, and either "bug": {"path", "line"} or
"clean": true. See docs/eval.md.

--model NAME      the model; noop answers at once (and so submits no review)
--oracle          a scripted reviewer that reports exactly the seeded bug: must score 100% and 0 false
--replay-dir DIR  replay DIR/<instance_id>.jsonl for each pull request
--concurrency N   reviews this process runs at once (default 1); 0: only workers run them (DATABASE_URL)
--out DIR         the run folder (default eval-runs/<model>-<time>); run again with it to resume
--prices FILE     JSON { "model": { "input": $, "cached_input": $, "output": $ } } per million tokens
--repos DIR       where owner/name repositories are found (owner__name, owner/name or name)

The reviews are eval tasks on Loopwright's queue, like 'eval run''s. Writes DIR/results.jsonl (one
line per pull request: findings, matched, tokens, time), DIR/transcripts/, DIR/steps/ and
DIR/report.md and DIR/report.html. Exit status: 0 done, 1 error, 2 bad arguments, 130 interrupted.`,
  options: SET_RUN_OPTIONS,
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const setFile = path.resolve(positionals[0] as string);
    const items = await readReviewSet(setFile);
    const [{ reviewRunKind }, { summarizeReviews }, { formatPercent }] = await Promise.all([
      import("../eval/review-run.ts"),
      import("../eval/review-score.ts"),
      import("../eval/summary.ts"),
    ]);
    return runSetCommand(values, setFile, {
      command: "eval review",
      items,
      kind: reviewRunKind(),
      outcome(results) {
        const summary = summarizeReviews(results);
        const perClean = summary.falsePerClean === null ? "—" : summary.falsePerClean.toFixed(2);
        return `found ${summary.found} of ${summary.seeded} seeded bugs (recall ${formatPercent(summary.recall)}), ${perClean} false findings per clean pull request`;
      },
    });
  },
});
