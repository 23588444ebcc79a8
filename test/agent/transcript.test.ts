import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ModelError, type ModelTurn } from "../../src/agent/model.ts";
import { createReplayModel, loadReplayModel } from "../../src/agent/models/replay.ts";
import {
  formatTranscriptLine,
  parseTranscript,
  recordTranscript,
  TranscriptError,
} from "../../src/agent/transcript.ts";

const request = { instructions: "", input: [], tools: [], promptCacheKey: "k" };
const turn: ModelTurn = {
  output: [
    { type: "reasoning", summary: [{ type: "summary_text", text: "think" }], encrypted_content: "opaque" },
    { type: "message", role: "assistant", content: [{ type: "output_text", text: "hi" }] },
    { type: "function_call", name: "shell", arguments: '{"command":"ls"}', call_id: "c1" },
  ],
  usage: { inputTokens: 10, cachedInputTokens: 4, outputTokens: 3, reasoningTokens: 1, totalTokens: 13 },
};

describe("transcripts", () => {
  it("round-trips a turn through the Responses API shapes", () => {
    const line = formatTranscriptLine(turn);
    expect(JSON.parse(line).usage).toEqual({
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 4 },
      output_tokens: 3,
      output_tokens_details: { reasoning_tokens: 1 },
      total_tokens: 13,
    });
    expect(parseTranscript(`${line}\n\n${formatTranscriptLine({ output: [] })}\n`)).toEqual([
      turn,
      { output: [] },
    ]);
  });

  it("names the line of a bad transcript", () => {
    expect(() => parseTranscript('{"output":[]}\n{"output": [')).toThrow(/transcript line 2: not valid JSON/);
    expect(() => parseTranscript('{"output":[{"type":"web_search_call"}]}', "t.jsonl")).toThrow(
      TranscriptError,
    );
    expect(() => parseTranscript('{"output":[{"type":"function_call","name":"x"}]}', "t.jsonl")).toThrow(
      /t\.jsonl line 1: not a model turn[\s\S]*arguments/,
    );
    expect(() => parseTranscript('{"usage":{}}')).toThrow(/line 1/);
  });

  it("replays turns in order, then fails clearly", async () => {
    const model = createReplayModel([turn]);
    expect(await model.complete(request)).toEqual(turn);
    const error = await model.complete(request).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({
      kind: "replay_exhausted",
      message: expect.stringMatching(/has 1 recorded turns and the run asked for turn 2/),
    });
  });

  it("records any model's turns to a file that replays the same", async () => {
    const file = path.join(await mkdtemp(path.join(os.tmpdir(), "loopwright-transcript-")), "run.jsonl");
    const recorded = await recordTranscript(createReplayModel([turn, { output: [] }]), file);
    await recorded.complete(request);
    await recorded.complete(request);
    expect((await readFile(file, "utf8")).split("\n")).toHaveLength(3);
    const replayed = await loadReplayModel(file);
    expect(await replayed.complete(request)).toEqual(turn);
    await expect(loadReplayModel(`${file}.missing`)).rejects.toThrow(/cannot read transcript .*ENOENT/);
  });
});
