import { readFile } from "node:fs/promises";
import { defineCommand, UsageError } from "./command.ts";

const DEFAULT_FILE = ".github/loopwright.yml";

export const configCommand = defineCommand({
  name: "config",
  usage: `
Usage: loopwright config check [--default-branch NAME] [FILE]

Validates a repository's .github/loopwright.yml (FILE, default ${DEFAULT_FILE}) and prints the
same problems the bot would post on GitHub, one per line. Exits 0 when the file is valid, 1 when it
has problems (the bot would then use the defaults for those keys).`,
  options: { "default-branch": { type: "string" } },
  positionals: { min: 1, max: 2 },
  async run({ values, positionals }) {
    const [action, file = DEFAULT_FILE] = positionals;
    if (action !== "check")
      throw new UsageError(`unknown action ${JSON.stringify(action)}; try 'config check'`);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      console.error(`loopwright config: cannot read ${file} (${code ?? (error as Error).message})`);
      return 2;
    }
    // The schema (zod) and YAML parser load only now: `config --help` answers without them.
    const { checkRepoConfigText } = await import("../config/repo-config-text.ts");
    const problems = checkRepoConfigText(text, values["default-branch"]);
    if (problems.length === 0) {
      console.log(`${file}: valid`);
      return 0;
    }
    // The problems exactly as the bot's comment lists them.
    console.log(`${file} has problems, so the defaults are used for these keys:`);
    for (const problem of problems) console.log(`  ${problem}`);
    return 1;
  },
});
