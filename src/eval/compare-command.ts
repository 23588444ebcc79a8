import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { defineCommand, UsageError } from "../cli/command.ts";
import { compareRuns, type RunForComparison } from "./compare.ts";
import { parseResults, parseRunMeta } from "./results.ts";

async function readRun(folder: string): Promise<RunForComparison> {
  const metaFile = path.join(folder, "run.json");
  if (!existsSync(metaFile)) throw new UsageError(`${folder} is not an eval run folder (it has no run.json)`);
  const meta = parseRunMeta(await readFile(metaFile, "utf8"), metaFile);
  const resultsFile = path.join(folder, "results.jsonl");
  const results = existsSync(resultsFile)
    ? parseResults(await readFile(resultsFile, "utf8"), resultsFile)
    : [];
  return { folder: path.basename(path.resolve(folder)), meta, results };
}

export const compareCommand = defineCommand({
  name: "eval compare",
  usage: `
Usage: loopwright eval compare RUN_DIR [RUN_DIR …]

Prints the runs side by side as Markdown: per run the model, the tasks, the resolve rate with its
Wilson 95% confidence interval, cost and time per task; then per task each run's outcome.`,
  options: {},
  positionals: { min: 1, max: 50 },
  async run({ positionals }) {
    const runs = await Promise.all(positionals.map(readRun));
    process.stdout.write(compareRuns(runs));
    return 0;
  },
});
