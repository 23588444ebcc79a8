import { z } from "zod";
import { defineTool } from "./tool.ts";

/** How bad a finding is: P0 blocks a release, P1 should be fixed before merging, P2 soon, P3 some day. */
export const PRIORITIES = ["P0", "P1", "P2", "P3"] as const;
export type Priority = (typeof PRIORITIES)[number];

const findingSchema = z
  .object({
    title: z.string().trim().min(1).max(200).describe("One line naming the problem, at most 200 characters."),
    body: z
      .string()
      .trim()
      .min(1)
      .max(8_000)
      .describe("Why it is a problem: the input or situation that breaks and what happens then."),
    priority: z.enum(PRIORITIES).describe("P0 blocks release, P1 fix before merge, P2 fix soon, P3 minor."),
    confidence: z.number().min(0).max(1).describe("How sure you are that this is a real problem, 0 to 1."),
    path: z.string().trim().min(1).describe("The file, relative to the repository root."),
    start_line: z.number().int().min(1).describe("First line of the problem."),
    end_line: z.number().int().min(1).describe("Last line of the problem (same as start_line for one line)."),
    side: z
      .enum(["RIGHT", "LEFT"])
      .default("RIGHT")
      .describe(
        "RIGHT: line numbers of the pull request's version; LEFT: of the base version (a removed line).",
      ),
    suggestion: z
      .string()
      .optional()
      .describe("Optional replacement text for exactly the lines start_line..end_line (RIGHT side only)."),
    evidence: z
      .object({
        command: z.string().trim().min(1).max(2_000).describe("A shell command that shows the problem."),
        expected: z
          .string()
          .trim()
          .min(1)
          .max(2_000)
          .describe("Text the command's output contains when the problem is real."),
      })
      .optional()
      .describe("For P0/P1: a command that demonstrates the problem on the pull request's code."),
  })
  .refine((finding) => finding.end_line >= finding.start_line, {
    error: "end_line must be at least start_line",
    path: ["end_line"],
  });

export const reviewSubmissionSchema = z.object({
  summary: z.string().trim().min(1).max(8_000).describe("A short overall assessment of the change."),
  findings: z.array(findingSchema).max(50).describe("The problems found; an empty list when there are none."),
});

/** What the model submits at the end of a review. */
export type ReviewSubmission = z.output<typeof reviewSubmissionSchema>;
export type SubmittedFinding = ReviewSubmission["findings"][number];

/**
 * `submit_review`: the finishing tool of a review task. Its arguments are the review itself, so the
 * loop ends with them as the task's structured result (no free text to parse).
 *
 * @example
 * await runAgent({ …, extraTools: [submitReviewTool] }); // result.result is a ReviewSubmission
 */
export const submitReviewTool = defineTool({
  name: "submit_review",
  description:
    "Finish the review: submit the summary and every finding at once. Call it exactly once, when you are done.",
  schema: reviewSubmissionSchema,
  async run(submission) {
    const count = submission.findings.length;
    return {
      output: `Review submitted with ${count} finding${count === 1 ? "" : "s"}.`,
      finish: { message: submission.summary, result: submission },
    };
  },
});
