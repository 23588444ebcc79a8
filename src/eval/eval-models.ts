import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { ModelClient, ModelTurn, Usage } from "../agent/model.ts";
import { createModelFromSettings, type ModelSettings } from "../agent/models/create-model.ts";
import { createReplayModel } from "../agent/models/replay.ts";
import { parseTranscript } from "../agent/transcript.ts";
import { toCodexPatch } from "./codex-patch.ts";
import type { EvalModelSpec } from "./eval-request.ts";
import { type EvalTask, fileSafeId } from "./task-set.ts";
import { parseUnifiedDiff } from "./unified-diff.ts";

/** The harness's own models cost nothing and report so, instead of tokenizer estimates. */
const NO_USAGE: Usage = {
  inputTokens: 0,
  cachedInputTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  totalTokens: 0,
};

const message = (text: string): ModelTurn => ({
  output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text }] }],
  usage: NO_USAGE,
});

/**
 * `--model noop`: answers every request with a final message at once, changing nothing. A mined set
 * must score 0% with it (its FAIL_TO_PASS tests fail on the unfixed code by construction).
 *
 * @example
 * const model = noopModel(); // the agent loop completes after one turn
 */
export function noopModel(): ModelClient {
  return {
    model: "noop",
    contextWindow: 272_000,
    complete: async () => message("I am the no-op model: I change nothing."),
  };
}

/**
 * `--oracle`: a scripted model that applies the task's recorded fix through the agent's own
 * `apply_patch` tool (the diff turned into a Codex patch, hunk for hunk, anchored with the base
 * files' text where code repeats), then finishes. It takes the same path as a model's edit, so a task
 * it does not resolve is a harness (or task set) problem.
 *
 * @example
 * const model = await oracleModel(task, (file) => fileAt(reader, task.base_commit, file));
 * @throws InexpressibleChangeError when the fix holds a change apply_patch cannot make (a binary file)
 * @throws DiffError when the task's patch is not a readable diff
 */
export async function oracleModel(
  task: EvalTask,
  readBase: (path: string) => Promise<string | undefined>,
): Promise<ModelClient> {
  const diff = parseUnifiedDiff(task.patch);
  const oldText = new Map<string, string>();
  for (const file of diff) {
    const text = file.oldPath === null ? undefined : await readBase(file.oldPath);
    if (file.oldPath !== null && text !== undefined) oldText.set(file.oldPath, text);
  }
  const patch = toCodexPatch(diff, oldText);
  return createReplayModel(
    [
      {
        output: [
          {
            type: "function_call",
            name: "apply_patch",
            arguments: JSON.stringify({ input: patch }),
            call_id: "oracle_1",
          },
        ],
        usage: NO_USAGE,
      },
      message("Applied the recorded fix."),
    ],
    { model: "oracle" },
  );
}

/**
 * `eval review --oracle`: a scripted reviewer that knows the answer — it submits one finding on a
 * seeded case's bug line and none on a clean case — through the review's own `submit_review` tool.
 * It must score 100% recall and no false finding: anything else is the harness losing something.
 *
 * @example
 * const model = reviewOracleModel({ bug: { path: "src/clamp.js", line: 3 } });
 */
export function reviewOracleModel(reviewCase: {
  bug?: { path: string; line: number; description?: string };
}): ModelClient {
  const { bug } = reviewCase;
  const findings = bug
    ? [
        {
          title: "The seeded bug",
          body: bug.description ?? "The bug the review set seeded here.",
          priority: "P1",
          confidence: 1,
          path: bug.path,
          start_line: bug.line,
          end_line: bug.line,
          side: "RIGHT",
        },
      ]
    : [];
  return createReplayModel(
    [
      {
        output: [
          {
            type: "function_call",
            name: "submit_review",
            arguments: JSON.stringify({ summary: "The review oracle: the seeded bug, if any.", findings }),
            call_id: "oracle_1",
          },
        ],
        usage: NO_USAGE,
      },
    ],
    { model: "oracle" },
  );
}

/**
 * `--replay-dir DIR`: the text of the task's recorded transcript `DIR/<instance_id>.jsonl` (the id
 * made file-safe as in the run folder's transcripts/), read where the run starts so the request
 * carries it to whichever worker runs the task.
 *
 * @example
 * const transcript = await readReplayTranscript(task, "fixtures/transcripts");
 * @throws Error when the task has no transcript there
 */
export async function readReplayTranscript(task: { instance_id: string }, dir: string): Promise<string> {
  const file = path.join(dir, `${fileSafeId(task.instance_id)}.jsonl`);
  if (!existsSync(file)) throw new Error(`no transcript for task ${task.instance_id} (expected ${file})`);
  return readFile(file, "utf8");
}

/**
 * The model an eval request names, made on the worker that runs it: a model by name through the
 * worker's own settings (key, endpoint), the harness's models from what the request carries, and the
 * oracle of the request's kind (`oracle`: the recorded fix, or the seeded bug's finding).
 *
 * @example
 * const model = await modelForRequest(request, () => oracleModel(task, readBase), settings.model);
 * @throws ModelError for a named model the settings cannot call (no key); TranscriptError for a bad
 *   transcript; what `oracle` throws
 */
export async function modelForRequest(
  request: { task: { instance_id: string }; model: EvalModelSpec; modelName: string },
  oracle: () => Promise<ModelClient>,
  settings: ModelSettings,
): Promise<ModelClient> {
  const spec = request.model;
  switch (spec.kind) {
    case "noop":
      return noopModel();
    case "oracle":
      return oracle();
    case "replay":
      return createReplayModel(
        parseTranscript(spec.transcript, `the transcript of ${request.task.instance_id}`),
        {
          model: request.modelName,
        },
      );
    case "api":
      return createModelFromSettings(settings, { name: spec.name, api: spec.api });
  }
}
