import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { defineTool } from "./tool.ts";
import { displayPath, resolveWorkspacePath } from "./workspace-path.ts";

const SEARCH_TIMEOUT_MS = 30_000;
const MAX_OUTPUT_BYTES = 1024 * 1024;

const schema = z.object({
  pattern: z.string().min(1).describe("A regular expression (extended syntax) to look for in file contents."),
  path: z
    .string()
    .optional()
    .describe("The folder or file to search, relative to the working folder. Default: it."),
  glob: z
    .string()
    .optional()
    .describe('Only files whose names match this glob, e.g. "*.ts" or "src/**/*.test.ts".'),
});

type Searched = { exitCode: number; stdout: string; stderr: string };

/** Runs a read-only search program on the host (no shell) and collects its output up to a cap. */
function runSearch(program: string, args: string[], cwd: string, signal: AbortSignal): Promise<Searched> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd,
      signal,
      timeout: SEARCH_TIMEOUT_MS,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let kept = 0;
    child.stdout.on("data", (chunk: Buffer) => {
      if (kept < MAX_OUTPUT_BYTES) stdout.push(chunk);
      kept += chunk.length;
    });
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        exitCode: code ?? 2,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8").trim(),
      }),
    );
  });
}

let ripgrep: Promise<boolean> | undefined;
/** Whether `rg` runs here; asked once per process. */
function hasRipgrep(): Promise<boolean> {
  ripgrep ??= runSearch("rg", ["--version"], process.cwd(), new AbortController().signal).then(
    (result) => result.exitCode === 0,
    () => false,
  );
  return ripgrep;
}

/** Either program's arguments for the same search, run from the working folder. */
function searchCommand(useRipgrep: boolean, pattern: string, target: string, glob: string | undefined) {
  if (useRipgrep) {
    const args = ["--line-number", "--no-heading", "--color", "never", "--max-columns", "400", "-e", pattern];
    if (glob !== undefined) args.push("--glob", glob);
    return { program: "rg", args: [...args, "--", target] };
  }
  // --no-index searches untracked files too (and works outside a repository), still honouring .gitignore.
  const args = [
    "grep",
    "--no-index",
    "--exclude-standard",
    "-n",
    "-I",
    "-E",
    "--no-color",
    "-e",
    pattern,
    "--",
  ];
  if (glob === undefined) return { program: "git", args: [...args, target] };
  const scoped = glob.includes("/") ? glob : `**/${glob}`;
  return { program: "git", args: [...args, `:(glob)${target === "." ? "" : `${target}/`}${scoped}`] };
}

/** `search`: a regular-expression search over file contents, with ripgrep where installed, else `git grep`. */
export const searchTool = defineTool({
  name: "search",
  description:
    "Search file contents with a regular expression; prints path:line:text for each match. Honours .gitignore.",
  schema,
  async run({ pattern, path: requested = ".", glob }, context) {
    const target = resolveWorkspacePath(context.root, context.cwd, requested);
    if (!(await stat(target).catch(() => undefined))) {
      return {
        output: `${displayPath(context.root, context.cwd, target)}: no such file or folder`,
        isError: true,
      };
    }
    const relative = path.relative(context.cwd, target) || ".";
    const { program, args } = searchCommand(await hasRipgrep(), pattern, relative, glob);
    const result = await runSearch(program, args, context.cwd, context.signal);
    if (result.stdout.trim() !== "") return { output: result.stdout.trimEnd() };
    if (result.exitCode === 1) return { output: "No matches." };
    return {
      output: `search failed: ${result.stderr || `${program} exited with ${result.exitCode}`}`,
      isError: true,
    };
  },
});
