import { type InputItem, type ModelClient, ModelError, type ToolSpec, type Usage } from "./model.ts";
import { estimateItemTokens } from "./tokens.ts";
import { truncateHeadTail } from "./truncate.ts";

/** Compact when the next input would reach this share of the model's context window. */
export const DEFAULT_COMPACTION_THRESHOLD = 0.9;
/** How many tokens of the latest user messages (the task, follow-ups) survive compaction verbatim. */
export const DEFAULT_KEEP_USER_TOKENS = 20_000;

/** Asked of the model, appended to the full history, once per compaction. */
export const SUMMARY_PROMPT = `Your context is nearly full, so the conversation so far will be replaced by a summary you write now. Another instance of you will continue the task from that summary alone, with the same tools and workspace.

Write a handoff summary, with no tool calls:
- the task and any constraints the user gave;
- what you have done: files read and changed (paths), commands run and their results;
- what you learned that matters (causes found, approaches that failed and why);
- the current state: what works, what is still failing, with exact error messages where useful;
- the next steps, in order.
Be specific and brief; include exact paths, names and commands.`;

/** Marks the summary message so a later compaction does not keep it as a "user message". */
const SUMMARY_HEADER = "Summary of the work so far (earlier context was compacted; continue from here):";

export type CompactionRequest = {
  model: ModelClient;
  instructions: string;
  tools: ToolSpec[];
  promptCacheKey: string;
  signal: AbortSignal;
  /** The fixed items after the instructions (sandbox, AGENTS.md, environment). */
  prefix: InputItem[];
  /** The whole current input, prefix included. */
  history: InputItem[];
  keepUserTokens?: number;
};

export type Compacted = { items: InputItem[]; summary: string; usage: Usage | undefined; durationMs: number };

const userText = (text: string): InputItem => ({
  type: "message",
  role: "user",
  content: [{ type: "input_text", text }],
});

/** The latest user messages after the prefix (earlier summaries excluded), newest kept first, within a token budget. */
function recentUserMessages(items: InputItem[], budget: number): InputItem[] {
  const kept: InputItem[] = [];
  let spent = 0;
  for (let index = items.length - 1; index >= 0; index -= 1) {
    const item = items[index];
    if (item?.type !== "message" || item.role !== "user") continue;
    if (item.content[0]?.text.startsWith(SUMMARY_HEADER)) continue;
    const tokens = estimateItemTokens(item);
    if (spent + tokens > budget) {
      // The newest message (usually the task) always survives, cut head + tail if it is huge.
      if (kept.length === 0) {
        const text = item.content.map((part) => part.text).join("\n");
        kept.unshift(
          userText(truncateHeadTail(text, { maxBytes: budget * 4, maxLines: Number.POSITIVE_INFINITY }).text),
        );
      }
      break;
    }
    kept.unshift(item);
    spent += tokens;
  }
  return kept;
}

/**
 * Replaces a long history by the fixed prefix, the latest user messages and a handoff summary the
 * model writes in one extra call (the history plus SUMMARY_PROMPT, so that call still hits the
 * prompt cache). The summary comes last, as Codex places it, so the model continues from it.
 *
 * @example
 * const { items, summary } = await compactHistory({ model, instructions, tools, promptCacheKey, signal, prefix, history });
 * @throws ModelError when the call fails or the model writes no summary
 */
export async function compactHistory(request: CompactionRequest): Promise<Compacted> {
  const started = performance.now();
  const turn = await request.model.complete({
    instructions: request.instructions,
    input: [...request.history, userText(SUMMARY_PROMPT)],
    tools: request.tools,
    promptCacheKey: request.promptCacheKey,
    signal: request.signal,
  });
  const summary = turn.output
    .flatMap((item) => (item.type === "message" ? item.content.map((part) => part.text) : []))
    .join("\n")
    .trim();
  if (summary === "") {
    throw new ModelError("bad_response", "compaction failed: the model wrote no summary of the work so far");
  }
  const afterPrefix = request.history.slice(request.prefix.length);
  const items = [
    ...request.prefix,
    ...recentUserMessages(afterPrefix, request.keepUserTokens ?? DEFAULT_KEEP_USER_TOKENS),
    userText(`${SUMMARY_HEADER}\n\n${summary}`),
  ];
  return { items, summary, usage: turn.usage, durationMs: Math.round(performance.now() - started) };
}
