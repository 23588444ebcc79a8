import { type CliCommand, UsageError } from "../cli/command.ts";

const SUBCOMMANDS: Record<string, () => Promise<CliCommand>> = {
  mine: async () => (await import("./mine-command.ts")).mineCommand,
  run: async () => (await import("./run-command.ts")).runCommand,
  compare: async () => (await import("./compare-command.ts")).compareCommand,
};

const USAGE = `
Usage: loopwright eval <mine|run|compare> [options]

Measures the agent on problems like yours, with the same loop, tools and sandbox as /agent fix:

  loopwright eval mine --repo PATH_OR_URL --out tasks.jsonl   mine tasks from the repository's history
  loopwright eval run tasks.jsonl --oracle --out runs/oracle   the recorded fixes: must resolve 100%
  loopwright eval run tasks.jsonl --model noop                 a model that changes nothing: 0%
  loopwright eval run tasks.jsonl --model gpt-5 --out runs/g5  the model you want to trust
  loopwright eval compare runs/oracle runs/g5                  runs side by side

Task sets are SWE-bench-style JSON Lines. Run 'loopwright eval <command> --help' for the options.
See docs/eval.md for the method and its limits.`;

/**
 * `loopwright eval`: dispatches to `mine`, `run` and `compare`, each loaded when used.
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
    const load = SUBCOMMANDS[name];
    if (!load)
      throw new UsageError(`unknown eval command ${JSON.stringify(name)}; expected mine, run or compare`);
    return (await load()).main(rest);
  },
};
