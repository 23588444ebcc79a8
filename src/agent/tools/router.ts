import { z } from "zod";
import { TaskLimitError } from "../command-runner.ts";
import type { ToolSpec } from "../model.ts";
import type { Tool, ToolContext, ToolResult } from "./tool.ts";

/** A tool call's raw result before output truncation, with the name as called. */
export type RoutedCall = ToolResult & { name: string };

export type ToolRouter = {
  /** The tools as the model sees them, in a fixed order, generated once from the zod schemas. */
  readonly specs: ToolSpec[];
  /** Runs one call; anything that goes wrong becomes an error observation, never a rejection. */
  call(name: string, rawArguments: string, context: ToolContext): Promise<RoutedCall>;
};

function toolSpec(tool: Tool): ToolSpec {
  const { $schema: _ignored, ...parameters } = z.toJSONSchema(tool.schema, { io: "input" }) as Record<
    string,
    unknown
  >;
  return { name: tool.name, description: tool.description, parameters };
}

function parseArguments(
  tool: Tool,
  raw: string,
): { ok: true; value: unknown } | { ok: false; message: string } {
  let json: unknown;
  try {
    json = raw.trim() === "" ? {} : JSON.parse(raw);
  } catch (error) {
    return {
      ok: false,
      message: `the arguments are not valid JSON (${(error as Error).message}); send one JSON object matching the tool's schema`,
    };
  }
  const parsed = tool.schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    message: `the arguments do not match the tool's schema:\n${z.prettifyError(parsed.error)}`,
  };
}

/**
 * Routes the model's function calls to tools by name. Unknown tools, arguments that are not JSON or
 * do not match the schema, refused paths and tools that throw all come back as observations
 * (`isError`), so the model can correct itself.
 *
 * @example
 * const router = createToolRouter([shellTool, readFileTool]);
 * const result = await router.call("read_file", '{"path":"README.md"}', context);
 */
export function createToolRouter(tools: Tool[]): ToolRouter {
  const byName = new Map<string, Tool>();
  for (const tool of tools) {
    if (byName.has(tool.name)) throw new Error(`two tools are named ${JSON.stringify(tool.name)}`);
    byName.set(tool.name, tool);
  }
  const specs = tools.map(toolSpec);
  return {
    specs,
    async call(name, rawArguments, context) {
      const tool = byName.get(name);
      if (!tool) {
        const known = [...byName.keys()].join(", ");
        return {
          name,
          output: `unknown tool ${JSON.stringify(name)}; the tools are: ${known}`,
          isError: true,
        };
      }
      const parsed = parseArguments(tool, rawArguments);
      if (!parsed.ok) return { name, output: `${name}: ${parsed.message}`, isError: true };
      try {
        return { name, ...(await tool.run(parsed.value, context)) };
      } catch (error) {
        if (error instanceof TaskLimitError) {
          return { name, output: `${name} stopped: ${error.message}`, isError: true, limit: error.message };
        }
        return { name, output: `${name} failed: ${describeFailure(error)}`, isError: true };
      }
    },
  };
}

function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}
