import { describe, expect, it } from "vitest";
import { contextWindowFor, DEFAULT_CONTEXT_WINDOW } from "../../../src/agent/models/context-windows.ts";
import { acceptsReasoningEffort } from "../../../src/agent/models/reasoning-models.ts";

describe("contextWindowFor", () => {
  it.each([
    ["gpt-5", 272_000],
    ["gpt-5-codex", 272_000],
    ["gpt-5-mini", 272_000],
    ["gpt-5.1-codex-max", 272_000],
    ["gpt-5-chat-latest", 128_000],
    ["gpt-4.1", 1_047_576],
    ["gpt-4.1-mini-2025-04-14", 1_047_576],
    ["gpt-4o-2024-08-06", 128_000],
    ["GPT-4o-mini", 128_000],
    ["o3", 200_000],
    ["o4-mini", 200_000],
    ["openai/gpt-oss-120b", 131_072],
  ])("%s → %i tokens", (model, tokens) => {
    expect(contextWindowFor(model)).toBe(tokens);
  });

  it("falls back to a conservative default for unknown names", () => {
    expect(contextWindowFor("qwen2.5-coder:14b")).toBe(DEFAULT_CONTEXT_WINDOW);
    expect(contextWindowFor("gpt-40")).toBe(DEFAULT_CONTEXT_WINDOW);
    expect(DEFAULT_CONTEXT_WINDOW).toBe(128_000);
  });

  it("lets an explicit window win, and rejects a nonsensical one", () => {
    expect(contextWindowFor("gpt-5", 32_768)).toBe(32_768);
    expect(() => contextWindowFor("gpt-5", 0)).toThrow(/positive whole number/);
    expect(() => contextWindowFor("gpt-5", Number.NaN)).toThrow(/positive whole number/);
  });
});

describe("acceptsReasoningEffort", () => {
  it.each(["gpt-5", "gpt-5-codex", "gpt-5.1", "o3", "o4-mini", "codex-mini-latest", "openai/gpt-oss-20b"])(
    "%s reasons",
    (model) => expect(acceptsReasoningEffort(model)).toBe(true),
  );
  it.each(["gpt-4.1", "gpt-4o", "gpt-5-chat-latest", "gpt-5.1-chat-latest", "llama3.1:8b", "my-deployment"])(
    "%s does not",
    (model) => expect(acceptsReasoningEffort(model)).toBe(false),
  );
});
