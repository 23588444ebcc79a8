import { type ParseArgsOptionsConfig, parseArgs } from "node:util";

/** A failure the user caused by how they called a command; printed with a pointer to --help. */
export class UsageError extends Error {
  override name = "UsageError";
}

type ParsedValues<O extends ParseArgsOptionsConfig> = {
  [K in keyof O]?: O[K]["type"] extends "boolean"
    ? O[K]["multiple"] extends true
      ? boolean[]
      : boolean
    : O[K]["multiple"] extends true
      ? string[]
      : string;
};

/** One `loopwright` subcommand: its help text, its options, and what it does. */
export type CliCommand = {
  name: string;
  /** Runs the command with its own arguments (the words after its name); resolves to the exit code. */
  main(argv: string[]): Promise<number>;
};

/**
 * Declares a subcommand whose options are parsed strictly with `node:util` `parseArgs`;
 * `--help`/`-h` prints `usage`, an unknown option or a missing value fails with a UsageError.
 *
 * @example
 * export const hello = defineCommand({
 *   name: "hello", usage: "loopwright hello [--loud] NAME",
 *   options: { loud: { type: "boolean" } }, positionals: { min: 1, max: 1 },
 *   run: async ({ values, positionals }) => { console.log(`hi ${positionals[0]}`); return 0; },
 * });
 */
export function defineCommand<const O extends ParseArgsOptionsConfig>(spec: {
  name: string;
  usage: string;
  options: O;
  positionals?: { min?: number; max?: number };
  run(parsed: { values: ParsedValues<O>; positionals: string[] }): Promise<number>;
}): CliCommand {
  return {
    name: spec.name,
    async main(argv) {
      if (argv.includes("--help") || argv.includes("-h")) {
        console.log(`${spec.usage.trim()}\n`);
        return 0;
      }
      let parsed: ReturnType<typeof parseArgs>;
      try {
        parsed = parseArgs({ args: argv, options: spec.options, allowPositionals: true, strict: true });
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const { min = 0, max = 0 } = spec.positionals ?? {};
      if (parsed.positionals.length < min) throw new UsageError("missing argument");
      if (parsed.positionals.length > max) {
        throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[max])}`);
      }
      return spec.run({ values: parsed.values as ParsedValues<O>, positionals: parsed.positionals });
    },
  };
}

/** Parses a whole-number option, naming the option when the value is not one. */
export function integerOption(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) {
    throw new UsageError(
      `--${name} expects a whole number of at least ${min} (got ${JSON.stringify(value)})`,
    );
  }
  return parsed;
}
