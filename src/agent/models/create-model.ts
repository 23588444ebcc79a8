import type { ModelClient } from "../model.ts";
import { createChatCompletionsModel } from "./chat-completions.ts";
import type { ModelOptions } from "./openai-client.ts";
import { acceptsReasoningEffort } from "./reasoning-models.ts";
import { createResponsesModel } from "./responses.ts";

export type { ModelOptions, ReasoningEffort } from "./openai-client.ts";

/** Which OpenAI API to speak: `responses` (OpenAI, Azure) or `chat` (any OpenAI-compatible server). */
export type ModelApi = "responses" | "chat";

/**
 * Builds the model client the CLI and tasks use. The reasoning effort is dropped for models that are
 * not known to reason (it is always set in the settings, and other models reject it with a 400).
 * Checks the options now, so a missing API key for api.openai.com fails at startup, not mid-task.
 *
 * @example
 * const model = createModel({ api: settings.model.api, model: settings.model.name, apiKey: settings.model.apiKey,
 *   baseUrl: settings.model.baseUrl, reasoningEffort: settings.model.reasoningEffort });
 * @throws ModelError "auth" when no key is given for api.openai.com; TypeError/RangeError for other bad options
 */
export function createModel(options: ModelOptions & { api: ModelApi }): ModelClient {
  const { api, ...rest } = options;
  const adapterOptions: ModelOptions =
    rest.reasoningEffort && !acceptsReasoningEffort(String(rest.model ?? ""))
      ? { ...rest, reasoningEffort: undefined }
      : rest;
  switch (api) {
    case "responses":
      return createResponsesModel(adapterOptions);
    case "chat":
      return createChatCompletionsModel(adapterOptions);
    default:
      throw new TypeError(`unknown model API ${JSON.stringify(api)}: expected "responses" or "chat"`);
  }
}

/** The operator's model settings (`LOOPWRIGHT_MODEL`, `LOOPWRIGHT_API`, `OPENAI_*`…). */
export type ModelSettings = {
  api: ModelApi;
  apiKey: string | undefined;
  baseUrl: string | undefined;
  name: string;
  reasoningEffort: NonNullable<ModelOptions["reasoningEffort"]>;
  contextWindow: number | undefined;
  /** One request's time limit (ms); the adapter's default when absent. */
  timeoutMs?: number;
};

/**
 * The model from the operator's settings, with what a command line or a repository chose instead.
 *
 * @example
 * const model = createModelFromSettings(settings.model, { name: config.model.name ?? undefined });
 */
export function createModelFromSettings(
  settings: ModelSettings,
  overrides: { api?: ModelApi; name?: string; reasoningEffort?: ModelSettings["reasoningEffort"] } = {},
): ModelClient {
  return createModel({
    api: overrides.api ?? settings.api,
    model: overrides.name ?? settings.name,
    apiKey: settings.apiKey,
    baseUrl: settings.baseUrl,
    reasoningEffort: overrides.reasoningEffort ?? settings.reasoningEffort,
    contextWindow: settings.contextWindow,
    timeoutMs: settings.timeoutMs,
  });
}
