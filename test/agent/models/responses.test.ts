import { readFileSync } from "node:fs";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createResponsesModel } from "../../../src/agent/models/responses.ts";
import { sampleRequest } from "../../helpers/model-conversation.ts";

const fixture = JSON.parse(
  readFileSync(new URL("../../fixtures/models/responses-turn.json", import.meta.url), "utf8"),
) as Record<string, unknown>;

const api = () => nock("https://api.openai.com");

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("createResponsesModel", () => {
  it("sends a stateless request and maps reasoning, message, function call and usage", async () => {
    let sent: Record<string, unknown> = {};
    api()
      .matchHeader("authorization", "Bearer sk-test")
      .post("/v1/responses", (body) => {
        sent = body;
        return true;
      })
      .reply(200, fixture);
    const model = createResponsesModel({
      apiKey: "sk-test",
      model: "gpt-5-codex",
      reasoningEffort: "medium",
      maxRetries: 0,
    });

    const turn = await model.complete(sampleRequest());

    expect(sent).toMatchObject({
      model: "gpt-5-codex",
      instructions: "You are Loopwright, a coding agent.",
      store: false,
      stream: false,
      parallel_tool_calls: false,
      include: ["reasoning.encrypted_content"],
      reasoning: { effort: "medium", summary: "auto" },
      prompt_cache_key: "task-42",
      tools: [
        {
          type: "function",
          name: "read_file",
          description: "Reads a file.",
          parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
          strict: false,
        },
      ],
    });
    expect(sent).not.toHaveProperty("previous_response_id");
    // Ids are never sent (nothing is stored); reasoning without encrypted content cannot be resent.
    expect(sent.input).toEqual([
      { type: "message", role: "developer", content: [{ type: "input_text", text: "Sandbox: no network." }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: "Fix the failing test." }] },
      {
        type: "reasoning",
        summary: [{ type: "summary_text", text: "Look first." }],
        encrypted_content: "gAAAAB-secret",
      },
      {
        type: "message",
        role: "assistant",
        content: [{ type: "output_text", text: "Reading the test." }],
        phase: "commentary",
      },
      { type: "function_call", call_id: "call_1", name: "read_file", arguments: '{"path":"a.ts"}' },
      { type: "function_call", call_id: "call_2", name: "shell", arguments: '{"command":"ls"}' },
      { type: "function_call_output", call_id: "call_1", output: "1\texport const a = 1;" },
      { type: "function_call_output", call_id: "call_2", output: "a.ts" },
      {
        type: "message",
        role: "developer",
        content: [{ type: "input_text", text: "Context was compacted." }],
      },
    ]);

    expect(turn.output).toEqual([
      {
        type: "reasoning",
        id: "rs_68b1f0c3b6e08190b2d1c0e9f8a7b6c50c1b2d3e4f5a6b7c",
        summary: [
          {
            type: "summary_text",
            text: "**Running the failing test**\n\nI want to see the failure before changing anything.",
          },
        ],
        encrypted_content:
          "gAAAAABosfDGx1Yq3pZk0vJ8rN2mQ7sT5wL4hE9cF6bA1dK0uI3oP8yR2tV7nM5jH4gS6fD1aZ9xC0bQ3eW8",
      },
      {
        type: "message",
        role: "assistant",
        id: "msg_68b1f0c5d3a08190a1b2c3d4e5f6a7b80c1b2d3e4f5a6b7c",
        content: [{ type: "output_text", text: "Running the tests to see what fails." }],
      },
      {
        type: "function_call",
        id: "fc_68b1f0c6e4b18190c2d3e4f5a6b7c8d90c1b2d3e4f5a6b7c",
        call_id: "call_Wq4yT7uI9oP2aS5dF8gH1jK3",
        name: "shell",
        arguments: '{"command":["npm","test"],"timeout_ms":120000}',
      },
    ]);
    expect(turn.usage).toEqual({
      inputTokens: 3120,
      cachedInputTokens: 2944,
      outputTokens: 210,
      reasoningTokens: 128,
      totalTokens: 3330,
    });
  });

  it("leaves reasoning and include out without an effort, and tools out when there are none", async () => {
    let sent: Record<string, unknown> = {};
    api()
      .post("/v1/responses", (body) => {
        sent = body;
        return true;
      })
      .reply(200, fixture);
    const model = createResponsesModel({ apiKey: "sk-test", model: "gpt-4.1", maxRetries: 0 });

    await model.complete(sampleRequest({ tools: [] }));

    expect(sent).not.toHaveProperty("reasoning");
    expect(sent).not.toHaveProperty("include");
    expect(sent).not.toHaveProperty("tools");
    expect(sent).toMatchObject({ store: false, prompt_cache_key: "task-42" });
  });

  it("ignores output items it does not use and reads a refusal as the answer", async () => {
    api()
      .post("/v1/responses")
      .reply(200, {
        ...fixture,
        output: [
          { id: "ws_1", type: "web_search_call", status: "completed", action: { type: "search" } },
          {
            id: "msg_2",
            type: "message",
            role: "assistant",
            status: "completed",
            content: [{ type: "refusal", refusal: "I cannot help with that." }],
          },
        ],
        usage: null,
      });
    const model = createResponsesModel({ apiKey: "sk-test", model: "gpt-5", maxRetries: 0 });

    const turn = await model.complete(sampleRequest());

    expect(turn).toEqual({
      output: [
        {
          type: "message",
          role: "assistant",
          id: "msg_2",
          content: [{ type: "output_text", text: "I cannot help with that." }],
        },
      ],
    });
  });

  it("knows the context window of the model, unless overridden", () => {
    expect(createResponsesModel({ apiKey: "k", model: "gpt-5-codex" }).contextWindow).toBe(272_000);
    expect(
      createResponsesModel({ apiKey: "k", model: "gpt-5-codex", contextWindow: 50_000 }).contextWindow,
    ).toBe(50_000);
  });
});
