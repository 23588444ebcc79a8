import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ModelError } from "../../../src/agent/model.ts";
import {
  createModel,
  createModelFromSettings,
  type ModelApi,
} from "../../../src/agent/models/create-model.ts";
import { sampleRequest } from "../../helpers/model-conversation.ts";

const message = (text: string) => ({
  id: "msg_1",
  type: "message",
  role: "assistant",
  status: "completed",
  content: [{ type: "output_text", annotations: [], text }],
});

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("createModel", () => {
  it("speaks the Responses API for api: responses", async () => {
    let sent: Record<string, unknown> = {};
    nock("https://api.openai.com")
      .post("/v1/responses", (body) => {
        sent = body;
        return true;
      })
      .reply(200, { id: "resp_1", object: "response", status: "completed", output: [message("Hi.")] });
    const model = createModel({
      api: "responses",
      apiKey: "sk-test",
      model: "gpt-5-codex",
      reasoningEffort: "high",
    });

    const turn = await model.complete(sampleRequest());

    expect(model.model).toBe("gpt-5-codex");
    expect(model.contextWindow).toBe(272_000);
    expect(sent).toMatchObject({ reasoning: { effort: "high", summary: "auto" } });
    expect(turn.output).toEqual([
      { type: "message", role: "assistant", id: "msg_1", content: [{ type: "output_text", text: "Hi." }] },
    ]);
  });

  it("speaks Chat Completions for api: chat, with no key for a local server", async () => {
    let sent: Record<string, unknown> = {};
    nock("http://localhost:11434")
      .post("/v1/chat/completions", (body) => {
        sent = body;
        return true;
      })
      .reply(200, {
        id: "chatcmpl-1",
        object: "chat.completion",
        choices: [{ index: 0, message: { role: "assistant", content: "Hi." }, finish_reason: "stop" }],
      });
    const model = createModel({
      api: "chat",
      baseUrl: "http://localhost:11434/v1",
      model: "qwen2.5-coder:14b",
      reasoningEffort: "medium",
      contextWindow: 32_768,
    });

    const turn = await model.complete(sampleRequest());

    expect(model.contextWindow).toBe(32_768);
    // The settings always carry an effort; a model not known to reason would reject it.
    expect(sent).not.toHaveProperty("reasoning_effort");
    expect(turn.output).toEqual([
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Hi." }] },
    ]);
  });

  it("drops the effort for a non-reasoning OpenAI model", async () => {
    let sent: Record<string, unknown> = {};
    nock("https://api.openai.com")
      .post("/v1/responses", (body) => {
        sent = body;
        return true;
      })
      .reply(200, { id: "resp_1", object: "response", status: "completed", output: [message("Hi.")] });
    await createModel({
      api: "responses",
      apiKey: "sk-test",
      model: "gpt-4.1",
      reasoningEffort: "medium",
    }).complete(sampleRequest());
    expect(sent).not.toHaveProperty("reasoning");
    expect(sent).not.toHaveProperty("include");
  });

  it("fails at creation without a key for api.openai.com", () => {
    for (const api of ["responses", "chat"] as const) {
      const create = () => createModel({ api, model: "gpt-5-codex" });
      expect(create).toThrow(ModelError);
      expect(create).toThrow(/OPENAI_API_KEY is not set/);
    }
  });

  it("rejects an unknown API by name", () => {
    expect(() => createModel({ api: "completions" as ModelApi, apiKey: "k", model: "gpt-5" })).toThrow(
      /unknown model API "completions"/,
    );
  });
});

describe("createModelFromSettings", () => {
  const settings = {
    api: "chat" as const,
    apiKey: undefined,
    baseUrl: "http://127.0.0.1:8000/v1",
    name: "qwen2.5-coder",
    reasoningEffort: "medium" as const,
    contextWindow: 32_768,
  };

  it("uses the operator's settings, with the context window override", () => {
    const model = createModelFromSettings(settings);
    expect(model.model).toBe("qwen2.5-coder");
    expect(model.contextWindow).toBe(32_768);
  });

  it("lets a command line or a repository choose the model", () => {
    const model = createModelFromSettings({ ...settings, contextWindow: undefined }, { name: "gpt-5-codex" });
    expect(model.model).toBe("gpt-5-codex");
    expect(model.contextWindow).toBeGreaterThan(200_000);
  });
});
