import path from "node:path";
import { z } from "zod";
import { defineTool } from "./tool.ts";
import { displayPath, lookUp, resolveWorkspacePath } from "./workspace-path.ts";

const SEARCH_TIMEOUT_MS = 30_000;

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

/**
 * The search, as one script run in the sandbox like any command: ripgrep where the sandbox has it,
 * else `git grep --no-index` (which also searches untracked files, honouring .gitignore), else grep.
 * The model's words arrive as positional parameters ($1 pattern, $2 target, $3 glob), never as code.
 */
const SEARCH_SCRIPT = `
pattern=$1 target=$2 glob=$3
if command -v rg >/dev/null 2>&1; then
  set -- --line-number --no-heading --color never --max-columns 400
  [ -n "$glob" ] && set -- "$@" --glob "$glob"
  exec rg "$@" -e "$pattern" -- "$target"
elif command -v git >/dev/null 2>&1; then
  set -- grep --no-index --exclude-standard -n -I -E --no-color -e "$pattern" --
  if [ -z "$glob" ]; then exec git "$@" "$target"; fi
  case $glob in */*) scoped=$glob ;; *) scoped="**/$glob" ;; esac
  [ "$target" = . ] && prefix= || prefix="$target/"
  exec git "$@" ":(glob)$prefix$scoped"
else
  set -- -rnIE --color=never
  [ -n "$glob" ] && set -- "$@" --include="$glob"
  exec grep "$@" -e "$pattern" -- "$target"
fi`;

/** `search`: a regular-expression search over file contents, run inside the sandbox. */
export const searchTool = defineTool({
  name: "search",
  description:
    "Search file contents with a regular expression; prints path:line:text for each match. Honours .gitignore.",
  schema,
  async run({ pattern, path: requested = ".", glob }, context) {
    const target = resolveWorkspacePath(context.root, context.cwd, requested);
    const shown = displayPath(context.root, context.cwd, target);
    const found = await lookUp(context.runner.files, target);
    if (found.kind === "missing") return { output: `${shown}: no such file or folder`, isError: true };
    if (found.kind === "refused") return { output: `${shown}: ${found.reason}`, isError: true };
    const relative = path.relative(context.cwd, target) || ".";
    const result = await context.runner.run({
      argv: ["bash", "-c", SEARCH_SCRIPT, "search", pattern, relative, glob ?? ""],
      cwd: context.cwd,
      timeoutMs: SEARCH_TIMEOUT_MS,
      signal: context.signal,
    });
    if (result.timedOut) {
      return {
        output: `search timed out after ${SEARCH_TIMEOUT_MS / 1000} s; narrow the path or glob`,
        isError: true,
      };
    }
    // Exit 2 with output: matches, plus files that could not be read (named in the output).
    const printed = result.output.trim() !== "";
    if (printed && (result.exitCode === 0 || result.exitCode === 2))
      return { output: result.output.trimEnd() };
    if (result.exitCode === 1 && !printed) return { output: "No matches." };
    return { output: `search failed (exit ${result.exitCode}): ${result.output.trim()}`, isError: true };
  },
});
