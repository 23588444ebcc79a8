import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ModelError, type ModelErrorKind } from "../../../src/agent/model.ts";
import { createChatCompletionsModel } from "../../../src/agent/models/chat-completions.ts";
import type { ModelOptions } from "../../../src/agent/models/openai-client.ts";
import { createResponsesModel } from "../../../src/agent/models/responses.ts";
import { sampleRequest } from "../../helpers/model-conversation.ts";

const OPENAI = "https://api.openai.com";
const LOCAL = "http://localhost:8000";

const responsesModel = (options: Partial<ModelOptions> = {}) =>
  createResponsesModel({ apiKey: "sk-test", model: "gpt-5-codex", maxRetries: 0, ...options });
const chatModel = (options: Partial<ModelOptions> = {}) =>
  createChatCompletionsModel({ baseUrl: `${LOCAL}/v1`, model: "qwen2.5-coder", maxRetries: 0, ...options });

const okResponse = {
  id: "resp_1",
  object: "response",
  status: "completed",
  error: null,
  incomplete_details: null,
  output: [
    {
      id: "msg_1",
      type: "message",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", annotations: [], text: "Done." }],
    },
  ],
  usage: {
    input_tokens: 10,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 2,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 12,
  },
};

const apiError = (message: string, type: string, code: string | null) => ({
  error: { message, type, param: null, code },
});

/** The ModelError a request ends with; fails the test if it succeeds or throws anything else. */
async function failure(promise: Promise<unknown>): Promise<ModelError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ModelError);
  return error as ModelError;
}

async function expectKind(promise: Promise<unknown>, kind: ModelErrorKind, ...phrases: string[]) {
  const error = await failure(promise);
  expect(error.kind).toBe(kind);
  for (const phrase of phrases) expect(error.message).toContain(phrase);
  return error;
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("HTTP errors", () => {
  it("401 → auth, pointing at OPENAI_API_KEY", async () => {
    nock(OPENAI)
      .post("/v1/responses")
      .reply(
        401,
        apiError("Incorrect API key provided: sk-test.", "invalid_request_error", "invalid_api_key"),
        {
          "x-request-id": "req_abc",
        },
      );
    await expectKind(
      responsesModel().complete(sampleRequest()),
      "auth",
      "the API key was rejected",
      "check OPENAI_API_KEY",
      "HTTP 401",
      "req_abc",
    );
  });

  it("404 for the model → model_not_found, naming the model", async () => {
    nock(OPENAI)
      .post("/v1/responses")
      .reply(
        404,
        apiError(
          "The model `gpt-9` does not exist or you do not have access to it.",
          "invalid_request_error",
          "model_not_found",
        ),
      );
    await expectKind(
      responsesModel({ model: "gpt-9" }).complete(sampleRequest()),
      "model_not_found",
      'model "gpt-9" was not found',
      "LOOPWRIGHT_MODEL",
    );
  });

  it("429 insufficient_quota → quota", async () => {
    nock(OPENAI)
      .post("/v1/responses")
      .reply(
        429,
        apiError(
          "You exceeded your current quota, please check your plan and billing details.",
          "insufficient_quota",
          "insufficient_quota",
        ),
      );
    await expectKind(responsesModel().complete(sampleRequest()), "quota", "run out of quota", "billing");
  });

  it("400 context_length_exceeded → context_overflow", async () => {
    nock(OPENAI)
      .post("/v1/responses")
      .reply(
        400,
        apiError(
          "Your input exceeds the context window of this model. Please adjust your input and try again.",
          "invalid_request_error",
          "context_length_exceeded",
        ),
      );
    await expectKind(
      responsesModel().complete(sampleRequest()),
      "context_overflow",
      "context window",
      "gpt-5-codex",
    );
  });

  it("a compatible server's 'maximum context length' 400 without a code → context_overflow", async () => {
    nock(LOCAL).post("/v1/chat/completions").reply(400, {
      object: "error",
      message:
        "This model's maximum context length is 32768 tokens. However, you requested 40123 tokens in the messages.",
      type: "BadRequestError",
      param: null,
      code: 400,
    });
    await expectKind(chatModel().complete(sampleRequest()), "context_overflow", "qwen2.5-coder");
  });

  it("another 400 → bad_response quoting the server", async () => {
    nock(OPENAI)
      .post("/v1/responses")
      .reply(
        400,
        apiError(
          "Unsupported parameter: 'reasoning.effort' is not supported with this model.",
          "invalid_request_error",
          "unsupported_parameter",
        ),
      );
    await expectKind(
      responsesModel().complete(sampleRequest()),
      "bad_response",
      "rejected the request",
      "Unsupported parameter: 'reasoning.effort'",
    );
  });
});

describe("retries (by the openai SDK)", () => {
  it("retries a 429 with retry-after: 0, then succeeds", async () => {
    const scope = nock(OPENAI)
      .post("/v1/responses")
      .reply(429, apiError("Rate limit reached for gpt-5-codex.", "tokens", "rate_limit_exceeded"), {
        "retry-after": "0",
      })
      .post("/v1/responses")
      .reply(200, okResponse);
    const turn = await responsesModel({ maxRetries: 2 }).complete(sampleRequest());
    expect(turn.output).toHaveLength(1);
    expect(scope.isDone()).toBe(true);
  });

  it("429 still after the retries → rate_limit", async () => {
    const limited = () =>
      [
        429,
        apiError("Rate limit reached.", "tokens", "rate_limit_exceeded"),
        { "retry-after": "0" },
      ] as const;
    const scope = nock(OPENAI)
      .post("/v1/responses")
      .times(3)
      .reply(...limited());
    await expectKind(
      responsesModel({ maxRetries: 2 }).complete(sampleRequest()),
      "rate_limit",
      "tried 3 times",
    );
    expect(scope.isDone()).toBe(true);
  });

  it("retries a 5xx with backoff, then succeeds", async () => {
    const scope = nock(OPENAI)
      .post("/v1/responses")
      .reply(500, apiError("The server had an error while processing your request.", "server_error", null))
      .post("/v1/responses")
      .reply(200, okResponse);
    const turn = await responsesModel({ maxRetries: 1 }).complete(sampleRequest());
    expect(turn.output).toHaveLength(1);
    expect(scope.isDone()).toBe(true);
  });

  it("5xx still after the retries → server", async () => {
    const scope = nock(LOCAL)
      .post("/v1/chat/completions")
      .times(2)
      .reply(503, "upstream unavailable", { "retry-after-ms": "0" });
    await expectKind(
      chatModel({ maxRetries: 1 }).complete(sampleRequest()),
      "server",
      "HTTP 503",
      "tried 2 times",
    );
    expect(scope.isDone()).toBe(true);
  });
});

describe("transport", () => {
  it("an unreachable server → server, asking whether it runs", async () => {
    await expectKind(
      chatModel({ baseUrl: "http://localhost:8999/v1" }).complete(sampleRequest()),
      "server",
      "cannot reach",
      "OPENAI_BASE_URL",
    );
  });

  // A fetch that never answers (nock's delayed replies trip an undici assertion when aborted).
  const hangingFetch = (calls: string[]): typeof fetch =>
    ((input: string | URL | Request, init?: RequestInit) => {
      calls.push(String(input));
      return new Promise<Response>((_resolve, reject) => {
        const signal = init?.signal;
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      });
    }) as typeof fetch;

  it("no answer within timeoutMs → timeout", async () => {
    const calls: string[] = [];
    await expectKind(
      responsesModel({ timeoutMs: 100, fetch: hangingFetch(calls) }).complete(sampleRequest()),
      "timeout",
      "within 100 ms",
    );
    expect(calls).toEqual(["https://api.openai.com/v1/responses"]);
  });

  it("an abort mid-request → aborted, promptly", async () => {
    const calls: string[] = [];
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    await expectKind(
      chatModel({ fetch: hangingFetch(calls) }).complete(sampleRequest({ signal: controller.signal })),
      "aborted",
      "cancelled",
    );
    expect(calls).toEqual(["http://localhost:8000/v1/chat/completions"]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("an abort while waiting to retry → aborted", async () => {
    nock(OPENAI)
      .post("/v1/responses")
      .reply(429, apiError("Rate limit reached.", "tokens", "rate_limit_exceeded"), { "retry-after": "30" });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expectKind(
      responsesModel({ maxRetries: 3 }).complete(sampleRequest({ signal: controller.signal })),
      "aborted",
    );
  });
});

describe("unusable answers → bad_response", () => {
  it("a body that is not the API's shape", async () => {
    nock(OPENAI)
      .post("/v1/responses")
      .reply(200, "<html>gateway</html>", { "content-type": "text/html" })
      .post("/v1/responses")
      .reply(200, { object: "list", data: [] });
    await expectKind(responsesModel().complete(sampleRequest()), "bad_response", "could not be read");
    await expectKind(
      responsesModel().complete(sampleRequest()),
      "bad_response",
      "not a Responses API response (output: ",
    );
  });

  it("output with no message and no tool call", async () => {
    nock(OPENAI)
      .post("/v1/responses")
      .reply(200, { ...okResponse, output: [{ id: "rs_1", type: "reasoning", summary: [] }] });
    await expectKind(
      responsesModel().complete(sampleRequest()),
      "bad_response",
      "no message and no tool call",
    );
  });

  it("an incomplete response cut off before answering", async () => {
    nock(OPENAI)
      .post("/v1/responses")
      .reply(200, {
        ...okResponse,
        status: "incomplete",
        incomplete_details: { reason: "max_output_tokens" },
        output: [],
      });
    await expectKind(responsesModel().complete(sampleRequest()), "bad_response", "max_output_tokens");
  });

  it("a malformed output item, named", async () => {
    nock(OPENAI)
      .post("/v1/responses")
      .reply(200, { ...okResponse, output: [{ type: "function_call", name: "shell", arguments: "{}" }] });
    await expectKind(
      responsesModel().complete(sampleRequest()),
      "bad_response",
      "output item 0 (function_call)",
      "call_id",
    );
  });

  it("a failed response is classified by its error code", async () => {
    nock(OPENAI)
      .post("/v1/responses")
      .reply(200, {
        ...okResponse,
        status: "failed",
        output: [],
        error: { code: "server_error", message: "The model failed to generate a response." },
      });
    await expectKind(responsesModel().complete(sampleRequest()), "server", "failed to generate");
  });

  it("a chat completion without choices, or cut at the token limit", async () => {
    nock(LOCAL)
      .post("/v1/chat/completions")
      .reply(200, { id: "x", object: "chat.completion", choices: [] })
      .post("/v1/chat/completions")
      .reply(200, {
        id: "y",
        object: "chat.completion",
        choices: [{ index: 0, message: { role: "assistant", content: "" }, finish_reason: "length" }],
      });
    await expectKind(chatModel().complete(sampleRequest()), "bad_response", "no choices");
    await expectKind(chatModel().complete(sampleRequest()), "bad_response", "output token limit");
  });

  it("a proxy's error in place of choices is classified by its status", async () => {
    nock(LOCAL)
      .post("/v1/chat/completions")
      .reply(200, { error: { code: 429, message: "Provider returned error: rate limited upstream" } });
    await expectKind(chatModel().complete(sampleRequest()), "rate_limit", "rate limited upstream");
  });
});

describe("creation", () => {
  it("refuses to build a client for api.openai.com without a key", () => {
    expect(() => createResponsesModel({ model: "gpt-5-codex" })).toThrow(/OPENAI_API_KEY is not set/);
    expect(() => createChatCompletionsModel({ model: "gpt-4.1", apiKey: "  " })).toThrow(ModelError);
  });

  it("needs no key for a compatible server", () => {
    expect(chatModel({ apiKey: undefined }).model).toBe("qwen2.5-coder");
  });

  it("rejects bad options with a clear message", () => {
    expect(() => chatModel({ model: " " })).toThrow(/a model name is required/);
    expect(() => chatModel({ baseUrl: "localhost:8000" })).toThrow(/must be an http\(s\) URL/);
    expect(() => chatModel({ maxRetries: -1 })).toThrow(/maxRetries must be a whole number/);
    expect(() => chatModel({ timeoutMs: 0 })).toThrow(/timeoutMs must be a whole number/);
    expect(() => chatModel({ contextWindow: 1.5 })).toThrow(/contextWindow must be a positive whole number/);
  });
});
