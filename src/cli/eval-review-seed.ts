import path from "node:path";
import { defineCommand, integerOption, UsageError } from "./command.ts";
import { repositoryOption } from "./eval-mine.ts";

export const seedCommand = defineCommand({
  name: "eval review seed",
  usage: `
Usage: loopwright eval review seed --repo PATH_OR_URL --out SET.jsonl [--max N] [--since DATE]

Makes a review set from the repository's history, newest first: each commit with one parent that
adds lines to source files becomes two pull requests — the commit as it is (clean), and the commit
with one known bug seeded in a line it added (a flipped comparison, an off-by-one, flipped logic or a
removed null check, chosen by the commit id; "bug" records the file and line). The same history and
options always give the same set. The clean pull requests are real commits: a finding on one may be
a real bug (see docs/eval.md).

--max N       commits to take (default 10): 2N pull requests
--since DATE  only commits after DATE`,
  options: {
    repo: { type: "string" },
    out: { type: "string" },
    since: { type: "string" },
    max: { type: "string" },
  },
  async run({ values }) {
    if (values.repo === undefined) throw new UsageError("--repo is required: the repository to seed from");
    if (values.out === undefined) throw new UsageError("--out is required: the review set to write");
    const repo = repositoryOption(values.repo);
    const max = integerOption("max", values.max, 1);
    const out = path.resolve(values.out);
    const [{ seedReviewSet }, { onInterrupt, openEvalRuntime }] = await Promise.all([
      import("../eval/review-seed.ts"),
      import("./eval-runtime.ts"),
    ]);
    const interrupt = onInterrupt("loopwright eval review seed: interrupted");
    const runtime = await openEvalRuntime();
    try {
      const written = await seedReviewSet(runtime, {
        repo,
        out,
        since: values.since,
        ...(max !== undefined && { max }),
        signal: interrupt.signal,
        progress: (line) => process.stderr.write(`${line}\n`),
      });
      process.stderr.write(`${written.cases} pull requests from ${written.commits} commits in ${out}\n`);
      return interrupt.signal.aborted ? 130 : written.cases === 0 ? 1 : 0;
    } finally {
      interrupt.dispose();
      await runtime.close();
    }
  },
});
