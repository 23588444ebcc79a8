import { existsSync } from "node:fs";
import path from "node:path";
import type { ModelClient, ModelTurn, Usage } from "../agent/model.ts";
import { createReplayModel, loadReplayModel } from "../agent/models/replay.ts";
import { toCodexPatch } from "./codex-patch.ts";
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
 * `--replay-dir DIR`: the task's recorded transcript `DIR/<instance_id>.jsonl` (the id made file-safe
 * as in the run folder's transcripts/), replayed turn by turn.
 *
 * @example
 * const model = await replayModelFor(task, "fixtures/transcripts");
 * @throws Error when the task has no transcript there; TranscriptError when it is malformed
 */
export async function replayModelFor(task: EvalTask, dir: string): Promise<ModelClient> {
  const file = path.join(dir, `${fileSafeId(task.instance_id)}.jsonl`);
  if (!existsSync(file)) throw new Error(`no transcript for task ${task.instance_id} (expected ${file})`);
  return loadReplayModel(file);
}
