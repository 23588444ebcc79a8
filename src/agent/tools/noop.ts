import { z } from "zod";
import { defineTool } from "./tool.ts";

const schema = z.object({
  reason: z
    .string()
    .trim()
    .min(1)
    .max(2_000)
    .describe("Why there is nothing to do, in a sentence or two (shown to the maintainers)."),
});

/** What a task ended by `noop` carries as its result. */
export type NoopResult = { noop: true; reason: string };

/**
 * Whether an agent result is a `noop` ending.
 *
 * @example
 * if (isNoop(agent.result)) record("nothing to do", agent.result.reason);
 */
export function isNoop(result: unknown): result is NoopResult {
  return (
    typeof result === "object" &&
    result !== null &&
    (result as { noop?: unknown }).noop === true &&
    typeof (result as { reason?: unknown }).reason === "string"
  );
}

/**
 * `noop`: the finishing tool of scheduled tasks for "nothing to do" — the task ends without a commit,
 * and the reason (required) is what people see instead of a pull request.
 */
export const noopTool = defineTool({
  name: "noop",
  description:
    "Finish without changing anything, when the task turns out to have nothing to do. Give the reason. Any file changes you made are discarded.",
  schema,
  async run({ reason }) {
    return {
      output: "Finished: nothing to do.",
      finish: { message: reason, result: { noop: true, reason } },
    };
  },
});
