import { z } from "zod";
import { parseRepoConfig, type RepoConfig } from "../config/repo-config.ts";

const storedInputSchema = z.object({
  instructions: z.string(),
  cloneUrl: z.string().min(1),
  defaultBranch: z.string().min(1),
  /** The repository configuration read when the task was requested, so every attempt uses the same. */
  config: z.unknown(),
  commentId: z.number().int().optional(),
  reviewId: z.number().int().optional(),
  /** For iterate: the pull request branch to push to. */
  head: z.object({ ref: z.string().min(1), sha: z.string() }).optional(),
  /**
   * For a fix of a review finding on someone else's pull request: the pull request's branch, which
   * the fix starts from and opens its own pull request into (absent: the default branch).
   */
  base: z.object({ ref: z.string().min(1) }).optional(),
});

/** What a fix or iterate task carries from its webhook to the worker (the task's stored input). */
export type GitHubTaskInput = Omit<z.infer<typeof storedInputSchema>, "config"> & { config: RepoConfig };

/**
 * Reads a stored GitHub task input back, validating it (it is JSON from the database) and the
 * configuration snapshot inside it.
 *
 * @example
 * const parsed = parseGitHubTaskInput(task.input);
 * if (!parsed.success) return { status: "failed", error: parsed.error };
 */
export function parseGitHubTaskInput(
  raw: unknown,
): { success: true; input: GitHubTaskInput } | { success: false; error: string } {
  const parsed = storedInputSchema.safeParse(raw);
  if (!parsed.success) {
    return { success: false, error: z.prettifyError(parsed.error) };
  }
  return { success: true, input: { ...parsed.data, config: parseRepoConfig(parsed.data.config).config } };
}
