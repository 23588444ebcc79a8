import { readFileSync } from "node:fs";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createChatCompletionsModel } from "../../../src/agent/models/chat-completions.ts";
import { sampleRequest } from "../../helpers/model-conversation.ts";

const fixture = JSON.parse(
  readFileSync(new URL("../../fixtures/models/chat-completion.json", import.meta.url), "utf8"),
) as Record<string, unknown>;

/** Serves one chat completion at `origin`, capturing the request body. */
function serve(origin: string, path: string, reply: unknown): { body: () => Record<string, unknown> } {
  let sent: Record<string, unknown> = {};
  nock(origin)
    .post(path, (body) => {
      sent = body;
      return true;
    })
    .reply(200, reply as Record<string, unknown>);
  return { body: () => sent };
}

const local = (reply: unknown) => serve("http://localhost:8000", "/v1/chat/completions", reply);
const localModel = (model = "qwen2.5-coder") =>
  createChatCompletionsModel({ baseUrl: "http://localhost:8000/v1", model, maxRetries: 0 });

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("createChatCompletionsModel", () => {
  it("converts the conversation to chat messages and the answer back to items", async () => {
    const served = serve("https://api.openai.com", "/v1/chat/completions", fixture);
    const model = createChatCompletionsModel({
      apiKey: "sk-test",
      model: "gpt-4.1",
      maxRetries: 0,
    });

    const turn = await model.complete(sampleRequest());

    expect(served.body()).toEqual({
      model: "gpt-4.1",
      stream: false,
      prompt_cache_key: "task-42",
      messages: [
        { role: "system", content: "You are Loopwright, a coding agent.\n\nSandbox: no network." },
        { role: "user", content: "Fix the failing test." },
        {
          role: "assistant",
          content: "Reading the test.",
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "read_file", arguments: '{"path":"a.ts"}' } },
            { id: "call_2", type: "function", function: { name: "shell", arguments: '{"command":"ls"}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "1\texport const a = 1;" },
        { role: "tool", tool_call_id: "call_2", content: "a.ts" },
        { role: "system", content: "Context was compacted." },
      ],
      tools: [
        {
          type: "function",
          function: {
            name: "read_file",
            description: "Reads a file.",
            parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
          },
        },
      ],
    });
    expect(turn.output).toEqual([
      {
        type: "message",
        role: "assistant",
        content: [{ type: "output_text", text: "Let me look at the failing test first." }],
      },
      {
        type: "function_call",
        call_id: "call_h3J8kL2mN5pQ7rS9tU1vW4xY",
        name: "read_file",
        arguments: '{"path":"test/sum.test.ts"}',
      },
      {
        type: "function_call",
        call_id: "call_a1B2c3D4e5F6g7H8i9J0k1L2",
        name: "shell",
        arguments: '{"command":["npm","test"]}',
      },
    ]);
    expect(turn.usage).toEqual({
      inputTokens: 2048,
      cachedInputTokens: 1920,
      outputTokens: 64,
      reasoningTokens: 0,
      totalTokens: 2112,
    });
  });

  it("opens an assistant message for calls with no text before them, and skips reasoning", async () => {
    const served = local(fixture);
    await localModel().complete(
      sampleRequest({
        instructions: "",
        input: [
          { type: "message", role: "user", content: [{ type: "input_text", text: "Go." }] },
          { type: "reasoning", summary: [], encrypted_content: "x" },
          { type: "function_call", call_id: "c1", name: "shell", arguments: "{}" },
          { type: "function_call_output", call_id: "c1", output: "ok" },
          { type: "message", role: "assistant", content: [{ type: "output_text", text: "Done." }] },
        ],
      }),
    );

    expect(served.body().messages).toEqual([
      { role: "user", content: "Go." },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c1", type: "function", function: { name: "shell", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "c1", content: "ok" },
      { role: "assistant", content: "Done." },
    ]);
  });

  it("sends neither prompt_cache_key nor an effort to other servers unless given one", async () => {
    const served = local(fixture);
    await localModel().complete(sampleRequest());
    expect(served.body()).not.toHaveProperty("prompt_cache_key");
    expect(served.body()).not.toHaveProperty("reasoning_effort");

    const again = local(fixture);
    await createChatCompletionsModel({
      baseUrl: "http://localhost:8000/v1",
      model: "gpt-oss-20b",
      reasoningEffort: "low",
      maxRetries: 0,
    }).complete(sampleRequest());
    expect(again.body()).toMatchObject({ reasoning_effort: "low" });
  });

  it("fills in a missing call id, stringifies object arguments and zeroes missing usage details", async () => {
    local({
      id: "chatcmpl-local",
      object: "chat.completion",
      created: 1756492482,
      model: "qwen2.5-coder",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: null,
            tool_calls: [{ type: "function", function: { name: "shell", arguments: { command: "ls" } } }],
          },
          finish_reason: "tool_calls",
        },
      ],
      usage: { prompt_tokens: 100, completion_tokens: 7 },
    });

    const turn = await localModel().complete(sampleRequest());

    expect(turn.output).toEqual([
      {
        type: "function_call",
        name: "shell",
        arguments: '{"command":"ls"}',
        call_id: expect.stringMatching(/^call_\w+$/),
      },
    ]);
    expect(turn.usage).toEqual({
      inputTokens: 100,
      cachedInputTokens: 0,
      outputTokens: 7,
      reasoningTokens: 0,
      totalTokens: 107,
    });
  });

  it("returns no usage when the server reports none", async () => {
    local({ ...fixture, usage: undefined });
    const turn = await localModel().complete(sampleRequest());
    expect(turn.usage).toBeUndefined();
  });
});
