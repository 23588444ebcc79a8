import { z } from "zod";

/** A model's price in US dollars per million tokens. */
export type Price = { input: number; cached_input: number; output: number };

/** The price table: model name (or name prefix) → price. */
export type PriceTable = Record<string, Price>;

/**
 * OpenAI list prices in USD per million tokens as published in 2025 (input, cached input, output).
 * They change: check them, and give your own with `--prices FILE` (merged over these). The harness's
 * own models (`noop`, `oracle`) cost nothing.
 */
export const DEFAULT_PRICES: PriceTable = {
  "gpt-5": { input: 1.25, cached_input: 0.125, output: 10 },
  "gpt-5-codex": { input: 1.25, cached_input: 0.125, output: 10 },
  "gpt-5-mini": { input: 0.25, cached_input: 0.025, output: 2 },
  "gpt-5-nano": { input: 0.05, cached_input: 0.005, output: 0.4 },
  "gpt-4.1": { input: 2, cached_input: 0.5, output: 8 },
  "gpt-4.1-mini": { input: 0.4, cached_input: 0.1, output: 1.6 },
  "gpt-4.1-nano": { input: 0.1, cached_input: 0.025, output: 0.4 },
  "gpt-4o": { input: 2.5, cached_input: 1.25, output: 10 },
  "gpt-4o-mini": { input: 0.15, cached_input: 0.075, output: 0.6 },
  o3: { input: 2, cached_input: 0.5, output: 8 },
  "o4-mini": { input: 1.1, cached_input: 0.275, output: 4.4 },
  "codex-mini-latest": { input: 1.5, cached_input: 0.375, output: 6 },
  noop: { input: 0, cached_input: 0, output: 0 },
  oracle: { input: 0, cached_input: 0, output: 0 },
};

/** A price file that cannot be used. */
export class PriceFileError extends Error {
  override name = "PriceFileError";
}

const dollars = z.number({ error: "expected US dollars per million tokens" }).nonnegative({
  error: "expected a price of 0 or more",
});
const priceSchema = z.strictObject(
  { input: dollars, cached_input: dollars.optional(), output: dollars },
  { error: "expected { input, output } and optionally cached_input, in USD per million tokens" },
);
const tableSchema = z.record(z.string().min(1), priceSchema, {
  error: "expected an object of model name → { input, cached_input, output }",
});

/**
 * Reads a `--prices` file: JSON, model name → `{ input, cached_input, output }` in USD per million
 * tokens (`cached_input` defaults to `input`), merged over the defaults.
 *
 * @example
 * parsePrices('{"my-local-model": {"input": 0, "output": 0}}', "prices.json");
 * @throws PriceFileError naming the file and the entry that is wrong
 */
export function parsePrices(text: string, source: string): PriceTable {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PriceFileError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = tableSchema.safeParse(json);
  if (!parsed.success) {
    const problem = parsed.error.issues[0];
    throw new PriceFileError(`${source}: ${problem?.path.join(".") || "the file"}: ${problem?.message}`);
  }
  const table: PriceTable = { ...DEFAULT_PRICES };
  for (const [model, price] of Object.entries(parsed.data)) {
    table[model] = {
      input: price.input,
      cached_input: price.cached_input ?? price.input,
      output: price.output,
    };
  }
  return table;
}

/**
 * The price of a model: its own entry, else the longest entry it extends after a `-` or `.` (dated
 * snapshots), ignoring a provider prefix such as `openai/`. Undefined when unknown.
 *
 * @example
 * priceFor("gpt-5-2025-08-07", DEFAULT_PRICES); // the gpt-5 price
 * priceFor("llama3", DEFAULT_PRICES); // undefined
 */
export function priceFor(model: string, table: PriceTable): Price | undefined {
  const name = model.trim().toLowerCase().replace(/^.*\//, "");
  if (table[name]) return table[name];
  let best: string | undefined;
  for (const known of Object.keys(table)) {
    const extends_ = name.startsWith(`${known}-`) || name.startsWith(`${known}.`);
    if (extends_ && (best === undefined || known.length > best.length)) best = known;
  }
  return best === undefined ? undefined : table[best];
}

/**
 * What a task's tokens cost: uncached input, cached input and output (reasoning included) at the
 * model's price.
 *
 * @example
 * costUsd({ input: 1_000_000, cached: 800_000, output: 10_000 }, DEFAULT_PRICES["gpt-5"]); // 0.45
 */
export function costUsd(tokens: { input: number; cached: number; output: number }, price: Price): number {
  const uncached = Math.max(0, tokens.input - tokens.cached);
  return (uncached * price.input + tokens.cached * price.cached_input + tokens.output * price.output) / 1e6;
}
