import { randomUUID } from "node:crypto";
import type OpenAI from "openai";
import { z } from "zod";
import type { InputItem, ModelClient, ModelRequest, ModelTurn, OutputItem } from "../model.ts";
import { contextWindowFor } from "./context-windows.ts";
import {
  badResponse,
  describeIssue,
  failedResponseError,
  type ModelErrorContext,
  toModelError,
  unsupportedItem,
} from "./errors.ts";
import {
  createOpenAIClient,
  isOpenAIPlatform,
  type ModelOptions,
  type ReasoningEffort,
} from "./openai-client.ts";
import { toUsage } from "./usage.ts";

type ChatMessage = OpenAI.Chat.ChatCompletionMessageParam;
type AssistantMessage = OpenAI.Chat.ChatCompletionAssistantMessageParam;
type ChatBody = OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;

const textOf = (content: { text: string }[]): string => content.map((part) => part.text).join("\n");

/**
 * Our items as Chat Completions messages. Developer messages become system messages because many
 * compatible servers reject the "developer" role; those at the very start join the instructions in
 * one leading system message, because some chat templates (Mistral, Gemma) allow only one, first.
 * Function calls join the assistant message before them (or a new one) as `tool_calls`; results
 * become `tool` messages; reasoning items are not sent (the API has no place for them).
 * Appending items never changes the messages made from earlier ones, so prompt caching still applies.
 */
function toChatMessages(instructions: string, items: InputItem[]): ChatMessage[] {
  const system = instructions.trim() === "" ? [] : [instructions];
  const messages: ChatMessage[] = [];
  let leading = true;
  let assistant: AssistantMessage | undefined;
  for (const item of items) {
    if (item.type === "reasoning") continue;
    const leadingDeveloper: boolean = leading && item.type === "message" && item.role === "developer";
    leading = leadingDeveloper;
    switch (item.type) {
      case "message":
        if (item.role === "assistant") {
          assistant = { role: "assistant", content: textOf(item.content) };
          messages.push(assistant);
          break;
        }
        assistant = undefined;
        if (leadingDeveloper) system.push(textOf(item.content));
        else
          messages.push({
            role: item.role === "developer" ? "system" : "user",
            content: textOf(item.content),
          });
        break;
      case "function_call":
        if (!assistant) {
          assistant = { role: "assistant", content: null };
          messages.push(assistant);
        }
        assistant.tool_calls = [
          ...(assistant.tool_calls ?? []),
          { id: item.call_id, type: "function", function: { name: item.name, arguments: item.arguments } },
        ];
        break;
      case "function_call_output":
        assistant = undefined;
        messages.push({ role: "tool", tool_call_id: item.call_id, content: item.output });
        break;
      default:
        throw unsupportedItem(item);
    }
  }
  return system.length > 0 ? [{ role: "system", content: system.join("\n\n") }, ...messages] : messages;
}

function toRequestBody(
  model: string,
  effort: ReasoningEffort | undefined,
  sendCacheKey: boolean,
  request: ModelRequest,
): ChatBody {
  return {
    model,
    messages: toChatMessages(request.instructions, request.input),
    ...(request.tools.length > 0
      ? {
          tools: request.tools.map((tool) => ({
            type: "function" as const,
            function: { name: tool.name, description: tool.description, parameters: tool.parameters },
          })),
        }
      : {}),
    stream: false,
    ...(sendCacheKey ? { prompt_cache_key: request.promptCacheKey } : {}),
    ...(effort ? { reasoning_effort: effort } : {}),
  };
}

const count = z.number().nullish();
const completionSchema = z.object({
  error: z
    .object({ code: z.union([z.string(), z.number()]).nullish(), message: z.string().nullish() })
    .nullish(),
  choices: z
    .array(
      z.object({
        finish_reason: z.string().nullish(),
        message: z.object({
          content: z.string().nullish(),
          refusal: z.string().nullish(),
          tool_calls: z
            .array(
              z.object({
                id: z.string().nullish(),
                type: z.string().nullish(),
                function: z.object({
                  name: z.string().min(1),
                  // Some servers send the arguments as an object rather than a JSON string.
                  arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
                }),
              }),
            )
            .nullish(),
        }),
      }),
    )
    .nullish(),
  usage: z
    .object({
      prompt_tokens: count,
      prompt_tokens_details: z.object({ cached_tokens: count }).nullish(),
      completion_tokens: count,
      completion_tokens_details: z.object({ reasoning_tokens: count }).nullish(),
      total_tokens: count,
    })
    .nullish(),
});

const STOPPED_EARLY: Readonly<Record<string, string>> = {
  length: "it stopped at the output token limit before answering",
  content_filter: "the provider's content filter withheld the answer",
};

function toTurn(body: unknown, context: ModelErrorContext): ModelTurn {
  const parsed = completionSchema.safeParse(body);
  if (!parsed.success) {
    throw badResponse(`it is not a chat completion (${describeIssue(parsed.error)})`, context);
  }
  const completion = parsed.data;
  const choice = completion.choices?.[0];
  if (!choice) {
    if (completion.error) throw failedResponseError(completion.error, context);
    throw badResponse("it holds no choices", context);
  }
  const { message } = choice;
  const text = message.content || message.refusal || "";
  const output: OutputItem[] = [];
  if (text.trim() !== "")
    output.push({ type: "message", role: "assistant", content: [{ type: "output_text", text }] });
  for (const call of message.tool_calls ?? []) {
    if (call.type && call.type !== "function") continue;
    const args = call.function.arguments;
    output.push({
      type: "function_call",
      name: call.function.name,
      arguments: typeof args === "string" ? args : JSON.stringify(args ?? {}),
      // Some servers omit ids; the loop needs one to match each result to its call.
      call_id: call.id || `call_${randomUUID().replaceAll("-", "")}`,
    });
  }
  if (output.length === 0) {
    throw badResponse(
      STOPPED_EARLY[choice.finish_reason ?? ""] ?? "it holds no message and no tool call",
      context,
    );
  }
  const usage = completion.usage;
  return {
    output,
    ...(usage
      ? {
          usage: toUsage({
            input: usage.prompt_tokens,
            cached: usage.prompt_tokens_details?.cached_tokens,
            output: usage.completion_tokens,
            reasoning: usage.completion_tokens_details?.reasoning_tokens,
            total: usage.total_tokens,
          }),
        }
      : {}),
  };
}

/**
 * A model client for the Chat Completions API of OpenAI-compatible servers (Azure OpenAI, vLLM,
 * Ollama, llama.cpp, OpenRouter), converting our Responses-shaped items to chat messages and back.
 * `prompt_cache_key` is sent only to api.openai.com: other servers cache prefixes without a key
 * (vLLM, llama.cpp) or may reject an argument they do not know (Azure).
 *
 * @example
 * const model = createChatCompletionsModel({ baseUrl: "http://localhost:11434/v1", model: "qwen2.5-coder:14b" });
 * const turn = await model.complete({ instructions, input, tools, promptCacheKey: taskId, signal });
 */
export function createChatCompletionsModel(options: ModelOptions): ModelClient {
  const { client, context } = createOpenAIClient(options, "Chat Completions");
  const sendCacheKey = isOpenAIPlatform(context.baseUrl);
  return {
    model: context.model,
    contextWindow: contextWindowFor(context.model, options.contextWindow),
    async complete(request: ModelRequest): Promise<ModelTurn> {
      const body = toRequestBody(context.model, options.reasoningEffort, sendCacheKey, request);
      let completion: unknown;
      try {
        completion = await client.chat.completions.create(body, { signal: request.signal });
      } catch (error) {
        throw toModelError(error, context);
      }
      return toTurn(completion, context);
    },
  };
}
