import { describe, expect, it } from "vitest";
import { costUsd, DEFAULT_PRICES, parsePrices, priceFor } from "../../src/eval/prices.ts";

describe("prices", () => {
  it("finds a model's price by name, dated snapshot or provider prefix", () => {
    expect(priceFor("gpt-5", DEFAULT_PRICES)).toEqual(DEFAULT_PRICES["gpt-5"]);
    expect(priceFor("gpt-5-2025-08-07", DEFAULT_PRICES)).toEqual(DEFAULT_PRICES["gpt-5"]);
    expect(priceFor("openai/gpt-5-mini", DEFAULT_PRICES)).toEqual(DEFAULT_PRICES["gpt-5-mini"]);
    expect(priceFor("GPT-4.1-mini", DEFAULT_PRICES)).toEqual(DEFAULT_PRICES["gpt-4.1-mini"]);
    expect(priceFor("llama3", DEFAULT_PRICES)).toBeUndefined();
    expect(priceFor("noop", DEFAULT_PRICES)).toEqual({ input: 0, cached_input: 0, output: 0 });
  });

  it("prices uncached input, cached input and output separately", () => {
    expect(
      costUsd({ input: 1_000_000, cached: 800_000, output: 10_000 }, DEFAULT_PRICES["gpt-5"] as never),
    ).toBeCloseTo(0.45, 10);
  });

  it("reads a price file over the defaults, cached input defaulting to input", () => {
    const table = parsePrices(
      '{"qwen": {"input": 0.1, "output": 0.2}, "gpt-5": {"input": 1, "cached_input": 0.5, "output": 2}}',
      "p.json",
    );
    expect(table.qwen).toEqual({ input: 0.1, cached_input: 0.1, output: 0.2 });
    expect(table["gpt-5"]).toEqual({ input: 1, cached_input: 0.5, output: 2 });
    expect(table["gpt-4o"]).toEqual(DEFAULT_PRICES["gpt-4o"]);
  });

  it("names the file and the entry that is wrong", () => {
    expect(() => parsePrices("{", "p.json")).toThrow(/^p\.json: not valid JSON/);
    expect(() => parsePrices('{"m": {"input": -1, "output": 1}}', "p.json")).toThrow(
      "p.json: m.input: expected a price of 0 or more",
    );
    expect(() => parsePrices('{"m": {"input": 1}}', "p.json")).toThrow(/^p\.json: m\.output: /);
  });
});
