import { z } from "zod";
import { defineTool } from "./tool.ts";

const schema = z.object({
  explanation: z.string().optional().describe("Why the plan changed, in a sentence."),
  plan: z
    .array(
      z.object({
        step: z.string().min(1).describe("A short step, a few words."),
        status: z.enum(["pending", "in_progress", "completed"]),
      }),
    )
    .describe("The whole plan, in order; at most one step in_progress."),
});

/** `update_plan`: the model keeps a checklist, shown to people in the progress comment. */
export const updatePlanTool = defineTool({
  name: "update_plan",
  description:
    "Record or update your plan as a short checklist. Send the whole list each time; keep at most one step in_progress.",
  schema,
  async run({ explanation, plan }) {
    const active = plan.filter((item) => item.status === "in_progress").length;
    if (active > 1) {
      return {
        output: `Plan not updated: ${active} steps are in_progress; keep at most one.`,
        isError: true,
      };
    }
    return {
      output: "Plan updated.",
      plan: { ...(explanation === undefined ? {} : { explanation }), items: plan },
    };
  },
});
