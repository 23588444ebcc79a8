import { z } from "zod";
import { evalTaskSchema } from "./task-set.ts";

/**
 * The model of an eval task. A model by name is called with the key and endpoint of the worker that
 * runs the task; the harness's own models carry what they need (the replay model its transcript), so
 * any worker can run them.
 */
export const evalModelSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("api"),
    name: z.string().min(1),
    api: z.enum(["responses", "chat"]).optional(),
  }),
  z.object({ kind: z.literal("noop") }),
  z.object({ kind: z.literal("oracle") }),
  z.object({ kind: z.literal("replay"), transcript: z.string() }),
]);
export type EvalModelSpec = z.infer<typeof evalModelSchema>;

export const priceSchema = z.object({
  input: z.number().nonnegative(),
  cached_input: z.number().nonnegative(),
  output: z.number().nonnegative(),
});

/**
 * Everything one eval task needs, as `eval run` queues it (in the task's file `EVAL_FILES.request`,
 * since a task's input is capped and patches, test lists and transcripts may be long).
 *
 * @example
 * evalRequestSchema.parse({ task, source: "https://git.example.com/app.git", model: { kind: "oracle" },
 *   modelName: "oracle", price: null });
 */
export const evalRequestSchema = z.object({
  task: evalTaskSchema,
  /** Where the worker fetches the repository: a URL, or a path on the worker's machine. */
  source: z.string().min(1),
  model: evalModelSchema,
  /** The model as results name it (`gpt-5`, `noop`, `oracle`, `replay`). */
  modelName: z.string().min(1),
  /** The test command of a task that carries none (`eval run --test-command`). */
  testCommand: z.string().min(1).optional(),
  testTimeoutMs: z.number().int().positive().optional(),
  price: priceSchema.nullable(),
});
export type EvalRequest = z.infer<typeof evalRequestSchema>;

/** The files of an eval task in the database (see `writeTaskFile`). */
export const EVAL_FILES = {
  request: "eval/request.json",
  /** The result line, as results.jsonl holds it. */
  result: "eval/result.json",
  /** The agent's change as a diff from the base commit, when it made one. */
  patch: "eval/patch.diff",
  /** The output of the scoring test run, when there was one. */
  tests: "eval/tests.txt",
  /** An `eval review` task's request (in place of `request`). */
  reviewRequest: "eval/review-request.json",
} as const;

/** The step an eval task records when its repository's `.github/loopwright.yml` has problems (`{ problems }`). */
export const REPO_CONFIG_STEP = "repo_config";

/** The side effect an eval task records when its model cannot be used at all (a wrong key, no quota). */
export const EVAL_FATAL_SIDE_EFFECT = "evalFatal";

/**
 * The event key of a run's task: one task per run, task and try, however often (and from however
 * many processes) the run is started. `generation` counts the tries: a task cancelled or stopped by
 * an unusable model is tried again under the next one.
 *
 * @example
 * evalTaskKey("3f9c…", "mini-4f1c2ab93e01", 1); // "eval:3f9c…:mini-4f1c2ab93e01"
 * evalTaskKey("3f9c…", "mini-4f1c2ab93e01", 2); // "eval:3f9c…:mini-4f1c2ab93e01#2"
 */
export function evalTaskKey(runId: string, instanceId: string, generation: number): string {
  return `eval:${runId}:${instanceId}${generation > 1 ? `#${generation}` : ""}`;
}
