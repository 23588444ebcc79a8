import OpenAI from "openai";
import { ModelError } from "../model.ts";
import type { ModelErrorContext } from "./errors.ts";

export type ReasoningEffort = "minimal" | "low" | "medium" | "high";

/** What both API adapters are built from. */
export type ModelOptions = {
  /** Required for api.openai.com; a local compatible server may need none. */
  apiKey?: string;
  /** The API root, such as http://localhost:8000/v1; defaults to https://api.openai.com/v1. */
  baseUrl?: string;
  model: string;
  /** Sent only when given; only reasoning models accept it. */
  reasoningEffort?: ReasoningEffort;
  /** Retries of 408/409/429/5xx and connection errors, with backoff, jitter and `retry-after` (default 4). */
  maxRetries?: number;
  /** Per attempt (default 10 minutes: a reasoning model may think for minutes before answering). */
  timeoutMs?: number;
  /** Overrides the known context window of `model`. */
  contextWindow?: number;
  /** For tests and custom transports. */
  fetch?: typeof fetch;
};

export const OPENAI_API_ROOT = "https://api.openai.com/v1";
const DEFAULT_MAX_RETRIES = 4;
const DEFAULT_TIMEOUT_MS = 600_000;
/** The SDK insists on a key; servers that need none ignore the Authorization header it goes into. */
const NO_KEY = "not-needed";

/**
 * Whether a base URL is OpenAI's own platform (which needs a key and accepts every OpenAI parameter).
 *
 * @example
 * isOpenAIPlatform("https://api.openai.com/v1"); // true
 * isOpenAIPlatform("http://localhost:11434/v1"); // false
 */
export function isOpenAIPlatform(baseUrl: string): boolean {
  return new URL(baseUrl).hostname === "api.openai.com";
}

function wholeNumber(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be a whole number of at least ${min}, got ${value}`);
  }
  return value;
}

function apiRoot(baseUrl: string | undefined): string {
  const root = baseUrl?.trim() || OPENAI_API_ROOT;
  if (!URL.canParse(root) || !/^https?:$/.test(new URL(root).protocol)) {
    throw new TypeError(
      `the model base URL must be an http(s) URL such as http://localhost:8000/v1, got "${root}"`,
    );
  }
  return root.replace(/\/+$/, "");
}

/**
 * Builds the `openai` client both adapters use, after checking the options, with the SDK's retries
 * (its backoff honours `retry-after` and `retry-after-ms`) rather than a retry loop of our own.
 * Settings are passed explicitly so the SDK never falls back on OPENAI_* variables behind our back.
 *
 * @example
 * const { client, context } = createOpenAIClient({ model: "gpt-5-codex", apiKey: "sk-…" }, "Responses");
 * @throws ModelError "auth" when api.openai.com is the target and no API key is given
 */
export function createOpenAIClient(
  options: ModelOptions,
  api: ModelErrorContext["api"],
): { client: OpenAI; context: ModelErrorContext } {
  const model = typeof options.model === "string" ? options.model.trim() : "";
  if (model === "") throw new TypeError("a model name is required, such as gpt-5-codex (LOOPWRIGHT_MODEL)");
  const baseUrl = apiRoot(options.baseUrl);
  const apiKey = options.apiKey?.trim();
  if (!apiKey && isOpenAIPlatform(baseUrl)) {
    throw new ModelError(
      "auth",
      `OPENAI_API_KEY is not set: it is required to call ${baseUrl} (a local OpenAI-compatible server in OPENAI_BASE_URL may need none)`,
    );
  }
  const maxRetries = wholeNumber("maxRetries", options.maxRetries, DEFAULT_MAX_RETRIES, 0);
  const timeoutMs = wholeNumber("timeoutMs", options.timeoutMs, DEFAULT_TIMEOUT_MS, 1);
  const client = new OpenAI({
    apiKey: apiKey || NO_KEY,
    baseURL: baseUrl,
    maxRetries,
    timeout: timeoutMs,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return { client, context: { api, model, baseUrl, maxRetries, timeoutMs } };
}
