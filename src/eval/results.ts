import { z } from "zod";
import { fileSafeId } from "./task-set.ts";

/** Why a task was not resolved. */
export const FAILURE_CLASSES = ["no_change", "tests_fail", "budget", "error"] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

/** How a list of expected-to-pass tests did when scored. */
const testOutcomeSchema = z.object({
  passed: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  /** The tests that did not pass (failed, skipped or did not run). */
  failed: z.array(z.string()),
});

/** Tokens a task's model used: `cached` is part of `input`. */
export const tokensSchema = z.object({
  input: z.number().nonnegative(),
  cached: z.number().nonnegative(),
  output: z.number().nonnegative(),
  total: z.number().nonnegative(),
});

const resultSchema = z.looseObject({
  instance_id: z.string().min(1),
  resolved: z.boolean(),
  failure: z.enum(FAILURE_CLASSES).nullable(),
  /** Why, in words: the error, the budget that ran out, the agent's last words. */
  detail: z.string().nullable(),
  tests: z.object({ fail_to_pass: testOutcomeSchema, pass_to_pass: testOutcomeSchema }).nullable(),
  steps: z.number().int().nonnegative(),
  tool_calls: z.number().int().nonnegative(),
  tokens: tokensSchema,
  /** Null when the model has no price in the table. */
  cost_usd: z.number().nonnegative().nullable(),
  wall_ms: z.number().nonnegative(),
  /** Lines changed by the recorded fix: the task's size. */
  size: z.number().int().nonnegative(),
  model: z.string(),
  /** How the agent loop ended (completed, budget_exhausted, model_error), null when it never ran. */
  agent_outcome: z.string().nullable(),
  /** The transcript and the agent's diff, relative to the run folder. */
  transcript: z.string().nullable(),
  patch: z.string().nullable(),
  finished_at: z.string(),
});

/** One line of `results.jsonl`: a scored task. */
export type EvalResult = z.output<typeof resultSchema>;

/**
 * Where a task's files are in a run folder, as results.jsonl names them.
 *
 * @example
 * runFolderNames("mini-4f1c2ab93e01"); // { transcript: "transcripts/mini-4f1c2ab93e01.jsonl", patch: "patches/…diff", … }
 */
export function runFolderNames(instanceId: string): {
  transcript: string;
  steps: string;
  patch: string;
  tests: string;
} {
  const id = fileSafeId(instanceId);
  return {
    transcript: `transcripts/${id}.jsonl`,
    steps: `steps/${id}.jsonl`,
    patch: `patches/${id}.diff`,
    tests: `tests/${id}.txt`,
  };
}

/** A results file that cannot be read. */
export class ResultsError extends Error {
  override name = "ResultsError";
}

/**
 * Parses `results.jsonl`. A last line cut short (the process died while writing it) is dropped,
 * as its task will simply run again; any other bad line is an error naming it.
 *
 * @example
 * const done = parseResults(await readFile("run/results.jsonl", "utf8"), "run/results.jsonl");
 * @throws ResultsError naming the line
 */
export function parseResults(content: string, source: string): EvalResult[] {
  return parseResultLines(content, source, resultSchema);
}

/**
 * Parses a results file whose lines `schema` describes (`eval run`'s, `eval review`'s), dropping a
 * last line cut short as `parseResults` does.
 *
 * @example
 * const done = parseResultLines(text, "run/results.jsonl", reviewResultSchema);
 * @throws ResultsError naming the line
 */
export function parseResultLines<T>(content: string, source: string, schema: z.ZodType<T>): T[] {
  const lines = content.split("\n");
  const results: T[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    const isLast = lines.slice(index + 1).every((rest) => rest.trim() === "");
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      if (isLast && !content.endsWith("\n")) return;
      throw new ResultsError(`${source} line ${index + 1}: not valid JSON (${(error as Error).message})`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new ResultsError(`${source} line ${index + 1}: not a result: ${z.prettifyError(parsed.error)}`);
    }
    results.push(parsed.data);
  });
  return results;
}

const metaSchema = z.looseObject({
  /** The model as given (`gpt-5`, `noop`), `oracle`, or `replay`. */
  model: z.string(),
  api: z.string().nullable(),
  task_set: z.string(),
  tasks: z.number().int().nonnegative(),
  started_at: z.string(),
  /** Names the run's tasks in the queue (`eval:<run_id>:<instance_id>`); older run folders have none. */
  run_id: z.string().optional(),
  /** `review` for an `eval review` run; absent for `eval run`'s. */
  kind: z.string().optional(),
});

/** `run.json`: what a run folder holds a run of. */
export type RunMeta = z.output<typeof metaSchema>;

/**
 * Parses a run folder's `run.json`.
 *
 * @example
 * const meta = parseRunMeta(await readFile("run/run.json", "utf8"), "run/run.json");
 * @throws ResultsError when it is not a run description
 */
export function parseRunMeta(content: string, source: string): RunMeta {
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (error) {
    throw new ResultsError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = metaSchema.safeParse(json);
  if (!parsed.success)
    throw new ResultsError(`${source}: not a run description: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
