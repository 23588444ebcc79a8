import type { z } from "zod";
import type { CommandRunner } from "../command-runner.ts";

export type PlanStatus = "pending" | "in_progress" | "completed";
export type PlanItem = { step: string; status: PlanStatus };

/** What a tool sees of the task: the workspace, where commands run, and the task's abort signal. */
export type ToolContext = {
  /** The workspace root (real path); every path a tool touches must resolve inside it. */
  root: string;
  /** The working folder (real path, inside root); relative paths are resolved against it. */
  cwd: string;
  runner: CommandRunner;
  signal: AbortSignal;
};

/** What a tool call produced. `output` is what the model sees (the router truncates it). */
export type ToolResult = {
  output: string;
  /** The command's exit code, for tools that run one. */
  exitCode?: number;
  /** True when the call failed; the model still sees `output` and can react. */
  isError?: boolean;
  /** Set by `update_plan`: the loop reports it as a plan_update event. */
  plan?: { explanation?: string; items: PlanItem[] };
  /** Set when a whole-task limit was crossed (see TaskLimitError): the task ends with this message. */
  limit?: string;
  /** Set by a finishing tool (e.g. `submit_review`): the task ends with this message and result. */
  finish?: { message: string; result: unknown };
};

/** A tool the model can call: its zod schema is the single source of the JSON schema it is shown. */
export type Tool<S extends z.ZodType = z.ZodType> = {
  name: string;
  description: string;
  schema: S;
  run(args: z.output<S>, context: ToolContext): Promise<ToolResult>;
};

/**
 * Declares a tool with its arguments typed from its schema.
 *
 * @example
 * const echo = defineTool({
 *   name: "echo", description: "Echo text back", schema: z.object({ text: z.string() }),
 *   run: async ({ text }) => ({ output: text }),
 * });
 */
export function defineTool<S extends z.ZodType>(tool: Tool<S>): Tool {
  return tool as unknown as Tool;
}
