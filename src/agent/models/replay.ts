import { type ModelClient, ModelError, type ModelTurn } from "../model.ts";
import { readTranscript } from "../transcript.ts";

export type ReplayOptions = {
  /** The name reported in step events. Default "replay". */
  model?: string;
  /** The context window compaction is measured against. Default 272,000 tokens (GPT-5's input limit). */
  contextWindow?: number;
};

/**
 * A model that returns recorded turns in order, ignoring what it is asked; it drives tests,
 * `loopwright replay`, and the debugging of a finished task from its stored transcript.
 *
 * @example
 * const model = createReplayModel(parseTranscript(text), { contextWindow: 8000 });
 * @throws ModelError "replay_exhausted" (from complete) when asked for more turns than were recorded
 */
export function createReplayModel(turns: ModelTurn[], options: ReplayOptions = {}): ModelClient {
  let next = 0;
  return {
    model: options.model ?? "replay",
    contextWindow: options.contextWindow ?? 272_000,
    async complete(request) {
      if (request.signal?.aborted) throw new ModelError("aborted", "the request was aborted");
      const turn = turns[next];
      if (!turn) {
        throw new ModelError(
          "replay_exhausted",
          `the transcript has ${turns.length} recorded turns and the run asked for turn ${next + 1}; the run diverged from the recording or the recording ends early`,
        );
      }
      next += 1;
      return structuredClone(turn);
    },
  };
}

/**
 * Loads a transcript file as a replay model.
 *
 * @example
 * const model = await loadReplayModel("test/fixtures/transcripts/fix-sum.jsonl");
 * @throws TranscriptError when the file is missing or a line is invalid
 */
export async function loadReplayModel(file: string, options: ReplayOptions = {}): Promise<ModelClient> {
  return createReplayModel(await readTranscript(file), options);
}
