import { z } from "zod";
import { parseSetLines } from "./task-set.ts";

const commitId = z
  .string({ error: "expected a commit id" })
  .regex(/^[0-9a-f]{7,64}$/i, { error: "expected a commit id (hex)" });

/** Where a seeded case's bug is: a line of the pull request's version of a file. */
const seededBugSchema = z.object({
  path: z.string({ error: "expected the file's path" }).trim().min(1),
  line: z.number({ error: "expected a line number" }).int().min(1),
  /** What was seeded, for the reader of the results ("flipped comparison"). */
  description: z.string().optional(),
});

/**
 * One pull request of a review set: the repository; the base commit it goes into; the head — a
 * commit of the repository (`head_commit`), a diff applied on top of the base (`patch`), or a diff
 * applied on top of `head_commit`; and what the review should find: the seeded bug (`bug`) or nothing
 * (`clean: true`).
 */
export const reviewCaseSchema = z
  .looseObject({
    instance_id: z.string({ error: "expected the case's id as text" }).trim().min(1),
    /** A local path or a URL (relative paths are read from the set's folder). */
    repo: z.string({ error: "expected the repository (a path or a URL)" }).trim().min(1),
    base_commit: commitId,
    head_commit: commitId.optional(),
    /** A git diff that makes (or, with head_commit, completes) the pull request. */
    patch: z.string().min(1, { error: "is empty" }).optional(),
    title: z.string().default(""),
    description: z.string().default(""),
    bug: seededBugSchema.optional(),
    clean: z.literal(true, { error: "expected true" }).optional(),
  })
  .refine((line) => line.head_commit !== undefined || line.patch !== undefined, {
    error: "expected head_commit or patch (or both): what makes the pull request",
    path: ["head_commit"],
  })
  .refine((line) => (line.bug === undefined) !== (line.clean === undefined), {
    error: 'expected either "bug": { "path", "line" } (a seeded case) or "clean": true, not both',
    path: ["bug"],
  });

/** One pull request of a review set. */
export type ReviewCase = z.output<typeof reviewCaseSchema>;

/**
 * Parses a review set: JSON Lines of pull requests, each seeded with a bug at a known line or clean.
 * Other fields are kept as they are; blank lines are ignored.
 *
 * @example
 * parseReviewSet('{"instance_id":"clamp-seeded","repo":".","base_commit":"4f1c2ab","patch":"diff --git …","bug":{"path":"src/clamp.js","line":3}}', "reviews.jsonl");
 * @throws TaskSetError naming the line: not JSON, a missing or malformed field, a repeated instance_id
 */
export function parseReviewSet(content: string, source: string): ReviewCase[] {
  return parseSetLines(content, source, reviewCaseSchema, "a review case");
}
