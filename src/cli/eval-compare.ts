import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { RunForComparison } from "../eval/compare.ts";
import type { ReviewRunForComparison } from "../eval/review-report.ts";
import { defineCommand, UsageError } from "./command.ts";

type ReadRun = RunForComparison | (ReviewRunForComparison & { review: true });

async function readRun(folder: string): Promise<ReadRun> {
  // Loaded here: --help answers without the schema library.
  const [{ parseResults, parseRunMeta }, { parseReviewResults }] = await Promise.all([
    import("../eval/results.ts"),
    import("../eval/review-score.ts"),
  ]);
  const metaFile = path.join(folder, "run.json");
  if (!existsSync(metaFile)) throw new UsageError(`${folder} is not an eval run folder (it has no run.json)`);
  const meta = parseRunMeta(await readFile(metaFile, "utf8"), metaFile);
  const resultsFile = path.join(folder, "results.jsonl");
  const text = existsSync(resultsFile) ? await readFile(resultsFile, "utf8") : "";
  const name = path.basename(path.resolve(folder));
  return meta.kind === "review"
    ? { folder: name, meta, results: parseReviewResults(text, resultsFile), review: true }
    : { folder: name, meta, results: parseResults(text, resultsFile) };
}

export const compareCommand = defineCommand({
  name: "eval compare",
  usage: `
Usage: loopwright eval compare RUN_DIR [RUN_DIR …]

Prints the runs side by side as Markdown: per run the model, the tasks, the resolve rate with its
Wilson 95% confidence interval, cost and time per task; then per task each run's outcome. Runs of
'eval review' compare recall, false findings per clean pull request, tokens and time instead.`,
  options: {},
  positionals: { min: 1, max: 50 },
  async run({ positionals }) {
    const runs = await Promise.all(positionals.map(readRun));
    const reviews = runs.filter((run): run is Extract<ReadRun, { review: true }> => "review" in run);
    if (reviews.length === runs.length) {
      const { compareReviewRuns } = await import("../eval/review-report.ts");
      process.stdout.write(compareReviewRuns(reviews));
      return 0;
    }
    if (reviews.length > 0) {
      throw new UsageError(
        `${reviews.map((run) => run.folder).join(", ")} hold eval review runs and the others eval runs: compare runs of one kind`,
      );
    }
    const { compareRuns } = await import("../eval/compare.ts");
    process.stdout.write(compareRuns(runs as RunForComparison[]));
    return 0;
  },
});
