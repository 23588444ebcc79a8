import { createRequire } from "node:module";
import type { InputItem, ToolSpec } from "./model.ts";

type Tokenizer = typeof import("gpt-tokenizer");
let tokenizer: Tokenizer | undefined;

/**
 * The o200k tokenizer, loaded on first use: building its tables takes about 0.3 s, which a process
 * should not pay before it answers its first request (`serve`'s readiness) — only once a task runs,
 * or when `warmTokenizer` asks for it at a quiet moment.
 *
 * @example
 * warmTokenizer(); // after start-up
 */
export function warmTokenizer(): Tokenizer {
  tokenizer ??= createRequire(import.meta.url)("gpt-tokenizer") as Tokenizer;
  return tokenizer;
}

const countTokens = (text: string) => warmTokenizer().countTokens(text);

/** Per-item counts: items never change once appended, so each is tokenized once per task. */
const itemTokens = new WeakMap<InputItem, number>();

/** Framing tokens per item (role, type, separators), as the chat formats spend them. */
const ITEM_OVERHEAD = 4;

function itemText(item: InputItem): string {
  switch (item.type) {
    case "message":
      return item.content.map((part) => part.text).join("\n");
    case "function_call":
      return `${item.name} ${item.arguments}`;
    case "function_call_output":
      return item.output;
    case "reasoning":
      return item.summary.map((part) => part.text).join("\n");
  }
}

/**
 * Estimates the tokens of one input item with the o200k tokenizer; used before the API has reported usage.
 *
 * @example
 * estimateItemTokens({ type: "function_call_output", call_id: "c1", output: "ok" }); // 5
 */
export function estimateItemTokens(item: InputItem): number {
  const cached = itemTokens.get(item);
  if (cached !== undefined) return cached;
  // Encrypted reasoning is opaque; about four characters a token is a fair stand-in for its weight.
  const opaque = item.type === "reasoning" ? Math.ceil((item.encrypted_content?.length ?? 0) / 4) : 0;
  const count = countTokens(itemText(item)) + opaque + ITEM_OVERHEAD;
  itemTokens.set(item, count);
  return count;
}

/**
 * Estimates a whole request's input tokens: instructions, tool declarations and items.
 *
 * @example
 * estimateRequestTokens("You are a coding agent.", [], input);
 */
export function estimateRequestTokens(instructions: string, tools: ToolSpec[], items: InputItem[]): number {
  let total = countTokens(instructions) + (tools.length > 0 ? countTokens(JSON.stringify(tools)) : 0);
  for (const item of items) total += estimateItemTokens(item);
  return total;
}
