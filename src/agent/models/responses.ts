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
import { createOpenAIClient, type ModelOptions, type ReasoningEffort } from "./openai-client.ts";
import { toUsage } from "./usage.ts";

type ResponsesBody = OpenAI.Responses.ResponseCreateParamsNonStreaming;

/**
 * Our items as the Responses API takes them back. Item ids are left out, as Codex does: with
 * `store: false` the server keeps nothing an id could refer to. A reasoning item without encrypted
 * content cannot be resolved statelessly either, so it is left out (consistently, keeping every
 * request a prefix of the next).
 */
function toWireInput(items: InputItem[]): ResponsesBody["input"] {
  const wire: unknown[] = [];
  for (const item of items) {
    switch (item.type) {
      case "message":
        wire.push(
          item.role === "assistant"
            ? {
                type: "message",
                role: "assistant",
                content: item.content,
                ...(item.phase ? { phase: item.phase } : {}),
              }
            : { type: "message", role: item.role, content: item.content },
        );
        break;
      case "function_call":
        wire.push({
          type: "function_call",
          call_id: item.call_id,
          name: item.name,
          arguments: item.arguments,
        });
        break;
      case "reasoning":
        if (item.encrypted_content) {
          wire.push({ type: "reasoning", summary: item.summary, encrypted_content: item.encrypted_content });
        }
        break;
      case "function_call_output":
        wire.push({ type: "function_call_output", call_id: item.call_id, output: item.output });
        break;
      default:
        throw unsupportedItem(item);
    }
  }
  // The SDK's types require the ids we deliberately leave out; the shapes are otherwise the API's.
  return wire as OpenAI.Responses.ResponseInput;
}

function toRequestBody(
  model: string,
  effort: ReasoningEffort | undefined,
  request: ModelRequest,
): ResponsesBody {
  return {
    model,
    instructions: request.instructions,
    input: toWireInput(request.input),
    ...(request.tools.length > 0
      ? {
          tools: request.tools.map((tool) => ({
            type: "function" as const,
            name: tool.name,
            description: tool.description,
            parameters: tool.parameters,
            strict: false,
          })),
        }
      : {}),
    // The loop runs calls one at a time in order; one call per turn keeps each observation next to its call.
    parallel_tool_calls: false,
    store: false,
    stream: false,
    prompt_cache_key: request.promptCacheKey,
    // Models that do not reason reject both the effort and the encrypted-content include.
    ...(effort
      ? {
          reasoning: { effort, summary: "auto" as const },
          include: ["reasoning.encrypted_content" as const],
        }
      : {}),
  };
}

const optionalString = z
  .string()
  .nullish()
  .transform((value) => value ?? undefined);

const messageSchema = z.object({
  id: optionalString,
  role: z.string(),
  content: z.array(
    z.object({ type: z.string(), text: z.string().optional(), refusal: z.string().optional() }),
  ),
  phase: z.enum(["commentary", "final_answer"]).nullish(),
});
const functionCallSchema = z.object({
  id: optionalString,
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
});
const reasoningSchema = z.object({
  id: optionalString,
  summary: z.array(z.object({ type: z.string(), text: z.string() })).nullish(),
  encrypted_content: z.string().nullish(),
});
const count = z.number().nullish();
const responseSchema = z.object({
  status: z.string().nullish(),
  error: z.object({ code: z.string().nullish(), message: z.string().nullish() }).nullish(),
  incomplete_details: z.object({ reason: z.string().nullish() }).nullish(),
  output: z.array(z.looseObject({ type: z.string() })),
  usage: z
    .object({
      input_tokens: count,
      input_tokens_details: z.object({ cached_tokens: count }).nullish(),
      output_tokens: count,
      output_tokens_details: z.object({ reasoning_tokens: count }).nullish(),
      total_tokens: count,
    })
    .nullish(),
});

function toOutputItem(
  raw: { type: string },
  index: number,
  context: ModelErrorContext,
): OutputItem | undefined {
  const parse = <T>(schema: z.ZodType<T>): T => {
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    throw badResponse(
      `output item ${index} (${raw.type}) is malformed: ${describeIssue(parsed.error)}`,
      context,
    );
  };
  switch (raw.type) {
    case "message": {
      const message = parse(messageSchema);
      if (message.role !== "assistant") return undefined;
      const content = message.content.flatMap((part) => {
        if (part.type === "output_text" && part.text !== undefined)
          return [{ type: "output_text" as const, text: part.text }];
        // A refusal is the model's answer too; the user should see it rather than an empty message.
        if (part.type === "refusal" && part.refusal !== undefined)
          return [{ type: "output_text" as const, text: part.refusal }];
        return [];
      });
      return {
        type: "message",
        role: "assistant",
        content,
        ...(message.id ? { id: message.id } : {}),
        ...(message.phase ? { phase: message.phase } : {}),
      };
    }
    case "function_call": {
      const call = parse(functionCallSchema);
      return {
        type: "function_call",
        name: call.name,
        arguments: call.arguments,
        call_id: call.call_id,
        ...(call.id ? { id: call.id } : {}),
      };
    }
    case "reasoning": {
      const reasoning = parse(reasoningSchema);
      return {
        type: "reasoning",
        ...(reasoning.id ? { id: reasoning.id } : {}),
        summary: (reasoning.summary ?? [])
          .filter((part) => part.type === "summary_text")
          .map((part) => ({ type: "summary_text" as const, text: part.text })),
        ...(reasoning.encrypted_content ? { encrypted_content: reasoning.encrypted_content } : {}),
      };
    }
    default:
      // Built-in tools' items (web search, file search…) are never requested, so there is nothing to keep.
      return undefined;
  }
}

function toTurn(body: unknown, context: ModelErrorContext): ModelTurn {
  const parsed = responseSchema.safeParse(body);
  if (!parsed.success) {
    throw badResponse(`it is not a Responses API response (${describeIssue(parsed.error)})`, context);
  }
  const response = parsed.data;
  if (response.error) throw failedResponseError(response.error, context);
  const output = response.output.flatMap((raw, index) => toOutputItem(raw, index, context) ?? []);
  const answered = output.some(
    (item) =>
      item.type === "function_call" ||
      (item.type === "message" && item.content.some((part) => part.text.trim() !== "")),
  );
  if (!answered) {
    const reason = response.incomplete_details?.reason;
    throw badResponse(
      response.status === "incomplete"
        ? `it stopped early (${reason ?? "incomplete"}) before any message or tool call`
        : "it holds no message and no tool call",
      context,
    );
  }
  const usage = response.usage;
  return {
    output,
    ...(usage
      ? {
          usage: toUsage({
            input: usage.input_tokens,
            cached: usage.input_tokens_details?.cached_tokens,
            output: usage.output_tokens,
            reasoning: usage.output_tokens_details?.reasoning_tokens,
            total: usage.total_tokens,
          }),
        }
      : {}),
  };
}

/**
 * A model client for the OpenAI Responses API, stateless: every request carries the whole input
 * (`store: false`, no `previous_response_id`), reasoning is carried forward as encrypted content, and
 * the task's `promptCacheKey` is sent so the provider's prompt cache serves the repeated prefix.
 * Transient failures are retried by the `openai` SDK; what is left is thrown as a `ModelError`.
 *
 * @example
 * const model = createResponsesModel({ apiKey: process.env.OPENAI_API_KEY, model: "gpt-5-codex", reasoningEffort: "medium" });
 * const turn = await model.complete({ instructions, input, tools, promptCacheKey: taskId, signal });
 */
export function createResponsesModel(options: ModelOptions): ModelClient {
  const { client, context } = createOpenAIClient(options, "Responses");
  return {
    model: context.model,
    contextWindow: contextWindowFor(context.model, options.contextWindow),
    async complete(request: ModelRequest): Promise<ModelTurn> {
      let body: unknown;
      try {
        body = await client.responses.create(toRequestBody(context.model, options.reasoningEffort, request), {
          signal: request.signal,
        });
      } catch (error) {
        throw toModelError(error, context);
      }
      return toTurn(body, context);
    },
  };
}
