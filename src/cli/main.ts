import { SettingsError } from "../config/settings.ts";
import { UsageError } from "./command.ts";
import { commands } from "./commands.ts";

function overview(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const lines = commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return `Usage: loopwright <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun 'loopwright <command> --help' for a command's options.`;
}

/**
 * Runs the `loopwright` command line and resolves to the process exit code.
 *
 * @example
 * process.exitCode = await main(["serve"]);
 */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(overview());
    return name === undefined ? 2 : 0;
  }
  const entry = commands.find((candidate) => candidate.name === name);
  if (!entry) {
    console.error(`loopwright: unknown command ${JSON.stringify(name)}\n\n${overview()}`);
    return 2;
  }
  // Files of the database, mirrors and workspaces are created readable by this user only.
  if (entry.ownsData) process.umask(0o077);
  try {
    return await (await entry.load()).main(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`loopwright ${name}: ${error.message}\nRun 'loopwright ${name} --help' for usage.`);
      return 2;
    }
    if (error instanceof SettingsError) {
      for (const problem of error.problems) console.error(`loopwright: ${problem}`);
      return 2;
    }
    console.error(`loopwright ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
