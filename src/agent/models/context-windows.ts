/**
 * Context windows of known models, in tokens of input the model accepts. For the GPT-5 family this
 * is the input limit (272k of the 400k total, the rest being reserved for output), as Codex uses it,
 * because compaction must happen before the input alone stops fitting.
 */
const KNOWN_CONTEXT_WINDOWS: Readonly<Record<string, number>> = {
  "gpt-5": 272_000,
  "gpt-5-codex": 272_000,
  "gpt-5-mini": 272_000,
  "gpt-5-chat": 128_000,
  "gpt-4.1": 1_047_576,
  "gpt-4o": 128_000,
  "gpt-4o-mini": 128_000,
  o1: 200_000,
  o3: 200_000,
  "o3-mini": 200_000,
  "o4-mini": 200_000,
  "codex-mini-latest": 200_000,
  "gpt-oss-20b": 131_072,
  "gpt-oss-120b": 131_072,
};

/** Used for names not in the table: small enough to be safe for most hosted models. */
export const DEFAULT_CONTEXT_WINDOW = 128_000;

/**
 * The context window of a model, in tokens. Matches the longest known name that equals the given
 * name or prefixes it before a `-` or `.` (so dated snapshots such as `gpt-4o-2024-08-06` and
 * variants such as `gpt-4.1-mini` or `gpt-5.2` match), ignoring a provider prefix such as
 * OpenRouter's `openai/`.
 *
 * @example
 * contextWindowFor("gpt-4o-2024-08-06"); // 128000
 * contextWindowFor("my-azure-deployment"); // 128000 (the default)
 * contextWindowFor("qwen2.5-coder", 32768); // 32768 (an explicit override wins)
 */
export function contextWindowFor(model: string, override?: number): number {
  if (override !== undefined) {
    if (!Number.isInteger(override) || override <= 0) {
      throw new RangeError(`contextWindow must be a positive whole number of tokens, got ${override}`);
    }
    return override;
  }
  const name = model.trim().toLowerCase().replace(/^.*\//, "");
  let best: string | undefined;
  for (const known of Object.keys(KNOWN_CONTEXT_WINDOWS)) {
    const matches = name === known || name.startsWith(`${known}-`) || name.startsWith(`${known}.`);
    if (matches && (best === undefined || known.length > best.length)) best = known;
  }
  return best === undefined
    ? DEFAULT_CONTEXT_WINDOW
    : (KNOWN_CONTEXT_WINDOWS[best] ?? DEFAULT_CONTEXT_WINDOW);
}
