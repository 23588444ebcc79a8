import { z } from "zod";
import { applyPatchTool } from "./apply-patch.ts";
import { patchFromShellCommand } from "./shell-apply-patch.ts";
import { defineTool } from "./tool.ts";
import { displayPath, lookUp, resolveWorkspacePath } from "./workspace-path.ts";

/** A command's default time limit, and the most a model may ask for. */
export const SHELL_DEFAULT_TIMEOUT_MS = 120_000;
export const SHELL_MAX_TIMEOUT_MS = 600_000;

const schema = z.object({
  command: z
    .union([z.string().min(1), z.array(z.string()).min(1)])
    .describe(
      'A bash command line ("npm test -- --run"), or a program and its arguments (["git", "status"]).',
    ),
  workdir: z
    .string()
    .optional()
    .describe("The folder to run in, relative to the working folder. Default: it."),
  timeout_ms: z
    .number()
    .int()
    .positive()
    .max(SHELL_MAX_TIMEOUT_MS)
    .optional()
    .describe(`Time limit in milliseconds (default ${SHELL_DEFAULT_TIMEOUT_MS}).`),
});

/** `shell`: runs a command in the workspace through the task's CommandRunner (the sandbox). */
export const shellTool = defineTool({
  name: "shell",
  description:
    "Run a command in the workspace and get its exit code and output (stdout and stderr interleaved). Use it to build, test, inspect git state and run project scripts.",
  schema,
  async run({ command, workdir, timeout_ms }, context) {
    const patch = workdir === undefined ? patchFromShellCommand(command) : undefined;
    if (patch !== undefined) return applyPatchTool.run({ input: patch }, context);
    const cwd =
      workdir === undefined ? context.cwd : resolveWorkspacePath(context.root, context.cwd, workdir);
    if ((await lookUp(context.runner.files, cwd)).kind !== "directory") {
      return { output: `workdir ${JSON.stringify(workdir)} is not a folder in the workspace`, isError: true };
    }
    const argv = typeof command === "string" ? ["bash", "-lc", command] : command;
    const timeoutMs = timeout_ms ?? SHELL_DEFAULT_TIMEOUT_MS;
    const result = await context.runner.run({ argv, cwd, timeoutMs, signal: context.signal });
    const notes = [
      `Exit code: ${result.exitCode}`,
      `Wall time: ${(result.durationMs / 1000).toFixed(1)} seconds`,
    ];
    if (cwd !== context.cwd) notes.push(`Folder: ${displayPath(context.root, context.cwd, cwd)}`);
    if (result.timedOut) notes.push(`The command timed out after ${timeoutMs} ms and was killed.`);
    if (result.truncated) {
      notes.push(`The command printed ${result.outputBytes} bytes; only part of it was kept.`);
    }
    return {
      output: `${notes.join("\n")}\nOutput:\n${result.output}`,
      exitCode: result.exitCode,
      isError: result.exitCode !== 0,
    };
  },
});
