/**
 * OpenAI model families that take a reasoning effort. Sending one to any other model is rejected
 * with a 400 ("Unsupported parameter"), and the default settings always carry an effort, so the
 * factory drops it for models not listed here. Names are matched after any provider prefix
 * (OpenRouter's `openai/`); `gpt-5-chat` is GPT-5's non-reasoning variant.
 */
const REASONING_MODEL = /^(o\d|gpt-5(?!(\.\d+)?-chat)|codex-|gpt-oss-)/;

/**
 * Whether a model accepts `reasoning.effort` (Responses) or `reasoning_effort` (Chat Completions).
 * Unknown names, such as a local model or an Azure deployment, are treated as not reasoning.
 *
 * @example
 * acceptsReasoningEffort("gpt-5-codex"); // true
 * acceptsReasoningEffort("gpt-4.1"); // false
 */
export function acceptsReasoningEffort(model: string): boolean {
  return REASONING_MODEL.test(model.trim().toLowerCase().replace(/^.*\//, ""));
}
