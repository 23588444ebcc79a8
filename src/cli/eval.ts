import { type CliCommand, UsageError } from "./command.ts";

const SUBCOMMANDS: Record<string, () => Promise<CliCommand>> = {
  mine: async () => (await import("./eval-mine.ts")).mineCommand,
  run: async () => (await import("./eval-run.ts")).runCommand,
  compare: async () => (await import("./eval-compare.ts")).compareCommand,
  review: async () => (await import("./eval-review.ts")).reviewCommand,
};

const USAGE = `
Usage: loopwright eval <mine|run|review|compare> [options]

Measures the agent on problems like yours, with the same loop, tools and sandbox as /agent fix:

  loopwright eval mine --repo PATH_OR_URL --out tasks.jsonl   mine tasks from the repository's history
  loopwright eval run tasks.jsonl --oracle --out runs/oracle   the recorded fixes: must resolve 100%
  loopwright eval run tasks.jsonl --model noop                 a model that changes nothing: 0%
  loopwright eval run tasks.jsonl --model gpt-5 --out runs/g5  the model you want to trust
  loopwright eval compare runs/oracle runs/g5                  runs side by side
  loopwright eval review seed --repo PATH --out reviews.jsonl  clean and bug-seeded pull requests
  loopwright eval review reviews.jsonl --model gpt-5           recall on seeded bugs, false findings

Task sets are SWE-bench-style JSON Lines. Run 'loopwright eval <command> --help' for the options.
See docs/eval.md for the method and its limits.`;

/**
 * `loopwright eval`: dispatches to `mine`, `run`, `review` and `compare`, each loaded when used.
 *
 * @example
 * process.exitCode = await evalCommand.main(["run", "tasks.jsonl", "--oracle"]);
 */
export const evalCommand: CliCommand = {
  name: "eval",
  async main(argv) {
    const [name, ...rest] = argv;
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      console.log(`${USAGE.trim()}\n`);
      return name === undefined ? 2 : 0;
    }
    if (name === "review" && rest[0] === "seed") {
      return (await import("./eval-review-seed.ts")).seedCommand.main(rest.slice(1));
    }
    const load = SUBCOMMANDS[name];
    if (!load)
      throw new UsageError(
        `unknown eval command ${JSON.stringify(name)}; expected mine, run, review or compare`,
      );
    return (await load()).main(rest);
  },
};
