import { appendFile, readFile, writeFile } from "node:fs/promises";
import { z } from "zod";
import { readJsonLines } from "../jsonl.ts";
import type { ModelClient, ModelTurn, OutputItem, Usage } from "./model.ts";
import { toUsage } from "./models/usage.ts";

/** A transcript that cannot be read, naming the file and line. */
export class TranscriptError extends Error {
  override name = "TranscriptError";
}

const outputItemSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("message"),
    role: z.literal("assistant"),
    content: z.array(z.object({ type: z.literal("output_text"), text: z.string() })),
    id: z.string().optional(),
  }),
  z.object({
    type: z.literal("function_call"),
    name: z.string().min(1),
    arguments: z.string(),
    call_id: z.string().min(1),
    id: z.string().optional(),
  }),
  z.object({
    type: z.literal("reasoning"),
    id: z.string().optional(),
    summary: z.array(z.object({ type: z.literal("summary_text"), text: z.string() })).default([]),
    encrypted_content: z.string().nullable().optional(),
  }),
]);

const count = z.number().int().nonnegative();
/** The Responses API's own usage shape, so a recorded response can be pasted in as it is. */
const usageSchema = z.object({
  input_tokens: count,
  input_tokens_details: z.object({ cached_tokens: count.optional() }).optional(),
  output_tokens: count,
  output_tokens_details: z.object({ reasoning_tokens: count.optional() }).optional(),
  total_tokens: count.optional(),
});

const lineSchema = z.object({ output: z.array(outputItemSchema), usage: usageSchema.optional() });

function fromRecordedUsage(usage: z.infer<typeof usageSchema>): Usage {
  return toUsage({
    input: usage.input_tokens,
    cached: usage.input_tokens_details?.cached_tokens,
    output: usage.output_tokens,
    reasoning: usage.output_tokens_details?.reasoning_tokens,
    total: usage.total_tokens,
  });
}

/**
 * Parses a transcript: JSON Lines, one model turn per line, `{"output": [...], "usage": {...}}`
 * (Responses API item and usage shapes; usage optional; blank lines ignored).
 *
 * @example
 * parseTranscript('{"output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Done."}]}]}');
 * @throws TranscriptError naming the line number and what is wrong with it
 */
export function parseTranscript(text: string, source = "transcript"): ModelTurn[] {
  return readJsonLines(
    text,
    source,
    (json, where) => {
      const parsed = lineSchema.safeParse(json);
      if (!parsed.success) {
        throw new TranscriptError(`${where}: not a model turn:\n${z.prettifyError(parsed.error)}`);
      }
      const output = parsed.data.output.map((item) => item as OutputItem);
      return parsed.data.usage ? { output, usage: fromRecordedUsage(parsed.data.usage) } : { output };
    },
    (message) => new TranscriptError(message),
  );
}

/**
 * Reads and parses a transcript file.
 *
 * @example
 * const turns = await readTranscript("test/fixtures/transcripts/fix-sum.jsonl");
 * @throws TranscriptError when the file cannot be read or a line is invalid
 */
export async function readTranscript(file: string): Promise<ModelTurn[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new TranscriptError(
      `cannot read transcript ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  return parseTranscript(text, file);
}

/**
 * One transcript line for a model turn, usage in the Responses API's snake_case shape.
 *
 * @example
 * formatTranscriptLine({ output: [] }); // '{"output":[]}'
 */
export function formatTranscriptLine(turn: ModelTurn): string {
  if (!turn.usage) return JSON.stringify({ output: turn.output });
  const usage = turn.usage;
  return JSON.stringify({
    output: turn.output,
    usage: {
      input_tokens: usage.inputTokens,
      input_tokens_details: { cached_tokens: usage.cachedInputTokens },
      output_tokens: usage.outputTokens,
      output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
      total_tokens: usage.totalTokens,
    },
  });
}

/**
 * Wraps a model so each turn it returns is handed to `onTurn` as a transcript line, in turn order,
 * before the loop sees it (a file, a database table: any sink).
 *
 * @example
 * const model = recordModelTurns(createModel(options), (line) => transcript.append(line));
 */
export function recordModelTurns(model: ModelClient, onTurn: (line: string) => Promise<void>): ModelClient {
  // Writes are chained so lines land in turn order even if a caller overlaps requests.
  let written = Promise.resolve();
  return {
    model: model.model,
    contextWindow: model.contextWindow,
    async complete(request) {
      const turn = await model.complete(request);
      written = written.then(() => onTurn(formatTranscriptLine(turn)));
      await written;
      return turn;
    },
  };
}

/**
 * Wraps a model so each turn it returns is appended to `file` (created or emptied first) as it
 * happens, whether the model is real or replayed; the file replays the run turn for turn.
 *
 * @example
 * const model = await recordTranscript(createModel(options), "run.jsonl");
 */
export async function recordTranscript(model: ModelClient, file: string): Promise<ModelClient> {
  await writeFile(file, "");
  return recordModelTurns(model, (line) => appendFile(file, `${line}\n`));
}
