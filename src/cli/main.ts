import { readFileSync } from "node:fs";
import path from "node:path";
import { SettingsError } from "../config/settings-error.ts";
import { UsageError } from "./command.ts";
import { commands } from "./commands.ts";

function overview(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const lines = commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return `Usage: loopwright <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun 'loopwright <command> --help' for a command's options.`;
}

/**
 * A reader that went away (`loopwright submit --wait | head -1`, a closed terminal) is not a failure
 * of the command: what it would still print is dropped, and the command finishes its work (a task
 * run in this process is not left "running").
 */
function tolerateClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") return;
      throw error;
    });
  }
}

/**
 * Settings missing from the environment are read from `.env` in the working folder, where Probot's
 * setup page writes the App's credentials (a variable set in the environment wins).
 * `LOOPWRIGHT_ENV_FILE` names another file, or `off` for none.
 */
function loadDotEnv(): void {
  const file = process.env.LOOPWRIGHT_ENV_FILE || ".env";
  if (file === "off") return;
  try {
    process.loadEnvFile(file);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    if (!missing || process.env.LOOPWRIGHT_ENV_FILE)
      throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
}

/**
 * Runs the `loopwright` command line and resolves to the process exit code.
 *
 * @example
 * process.exitCode = await main(["serve"]);
 */
export async function main(argv: string[]): Promise<number> {
  tolerateClosedOutput();
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(overview());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V") {
    // package.json sits two folders up from both src/cli/ and dist/cli/.
    const packageFile = path.join(import.meta.dirname, "../../package.json");
    console.log(
      `loopwright ${(JSON.parse(readFileSync(packageFile, "utf8")) as { version: string }).version}`,
    );
    return 0;
  }
  const entry = commands.find((candidate) => candidate.name === name);
  if (!entry) {
    console.error(`loopwright: unknown command ${JSON.stringify(name)}\n\n${overview()}`);
    return 2;
  }
  // Files of the database, mirrors and workspaces are created readable by this user only.
  if (entry.ownsData) process.umask(0o077);
  try {
    loadDotEnv();
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
