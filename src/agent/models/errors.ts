import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type { z } from "zod";
import { ModelError } from "../model.ts";

/** What an error message needs to name: which API, server and model, and the client's limits. */
export type ModelErrorContext = {
  api: "Responses" | "Chat Completions";
  model: string;
  baseUrl: string;
  maxRetries: number;
  timeoutMs: number;
};

/** A failure reported by the server, from an HTTP error (which the SDK may have retried) or a response body. */
type Failure = {
  status?: number;
  code?: string;
  type?: string;
  message: string;
  requestId?: string;
  fromHttpStatus: boolean;
};

const CONTEXT_TOO_LONG =
  /context[_ ]length|context window|maximum context|too many tokens|prompt is too long|input is too long|exceeds the (model's )?(context|maximum)/i;

/** Servers' messages are shown to the user: one line, bounded, so a dumped HTML page cannot flood a log. */
function oneLine(text: string, limit = 300): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > limit ? `${flat.slice(0, limit - 1)}…` : flat;
}

function serverSaid(failure: Failure): string {
  const parts = [
    failure.status === undefined ? undefined : `HTTP ${failure.status}`,
    oneLine(failure.message),
  ];
  const said = parts.filter((part) => part !== undefined && part !== "").join(": ");
  return failure.requestId ? `${said}; request ${failure.requestId}` : said;
}

/**
 * How often the SDK tried, for failures it retries; nothing when it did not retry, as for a failure
 * reported in the body of a successful response.
 */
function tried(context: ModelErrorContext, failure?: Failure): string {
  if (context.maxRetries === 0 || failure?.fromHttpStatus === false) return "";
  return ` (tried ${context.maxRetries + 1} times)`;
}

/** fetch's own reason ("connect ECONNREFUSED 127.0.0.1:8000"), found under the SDK's generic message. */
function connectionReason(error: APIConnectionError): string {
  const reasons: string[] = [];
  for (let cause = error.cause; cause instanceof Error && reasons.length < 3; cause = cause.cause) {
    reasons.push(cause.message);
  }
  return oneLine(reasons.filter(Boolean).join(": ") || error.message);
}

function classifyFailure(failure: Failure, context: ModelErrorContext): ModelError {
  const { status, code, type } = failure;
  const where = `the ${context.api} API at ${context.baseUrl}`;
  const detail = `(${serverSaid(failure)})`;
  if (status === 401) {
    return new ModelError("auth", `the API key was rejected by ${where}: check OPENAI_API_KEY ${detail}`);
  }
  if (status === 403) {
    return new ModelError(
      "auth",
      `the API key is not allowed to use model "${context.model}" at ${where}: check the key's project and permissions ${detail}`,
    );
  }
  if (code === "insufficient_quota" || type === "insufficient_quota") {
    return new ModelError(
      "quota",
      `the account behind OPENAI_API_KEY has run out of quota: check its billing and usage limits; retrying will not help ${detail}`,
    );
  }
  if (
    code === "context_length_exceeded" ||
    ((status === 400 || status === 413) && CONTEXT_TOO_LONG.test(failure.message))
  ) {
    return new ModelError(
      "context_overflow",
      `the input no longer fits the context window of model "${context.model}": compact the history or give a smaller task ${detail}`,
    );
  }
  if (status === 404 || code === "model_not_found") {
    return new ModelError(
      "model_not_found",
      `model "${context.model}" was not found by ${where}: check LOOPWRIGHT_MODEL (on Azure, the deployment name), ` +
        `that OPENAI_BASE_URL is the API root (such as http://localhost:8000/v1) and that the server offers the ${context.api} API ${detail}`,
    );
  }
  if (status === 429 || code === "rate_limit_exceeded") {
    return new ModelError(
      "rate_limit",
      `rate limited by ${where}${tried(context, failure)}: lower LOOPWRIGHT_WORKER_CONCURRENCY or raise the account's limits ${detail}`,
    );
  }
  if (status === 408) {
    return new ModelError("timeout", `${where} timed out the request${tried(context, failure)} ${detail}`);
  }
  if ((status !== undefined && (status >= 500 || status === 409)) || code === "server_error") {
    return new ModelError(
      "server",
      `${where} failed${tried(context, failure)}: it may be overloaded or down, try again later ${detail}`,
    );
  }
  return new ModelError(
    "bad_response",
    `${where} rejected the request for model "${context.model}": a parameter or model the server does not support? ${detail}`,
  );
}

function failureOf(error: APIError): Failure {
  const body =
    typeof error.error === "object" && error.error !== null ? (error.error as Record<string, unknown>) : {};
  const message = typeof body.message === "string" ? body.message : error.message.replace(/^\d{3} /, "");
  return {
    status: error.status,
    code: error.code ?? undefined,
    type: error.type,
    message,
    requestId: error.requestID ?? undefined,
    fromHttpStatus: true,
  };
}

/**
 * Turns anything a model request threw (openai SDK errors, fetch errors, our own) into a `ModelError`
 * whose message tells a maintainer what went wrong and what to check. The SDK has already retried
 * what can be retried (408/409/429/5xx, connection errors), so what arrives here is final.
 *
 * @example
 * try { await client.responses.create(body, { signal }); }
 * catch (error) { throw toModelError(error, context); } // e.g. kind "auth": "the API key was rejected…"
 */
export function toModelError(error: unknown, context: ModelErrorContext): ModelError {
  if (error instanceof ModelError) return error;
  if (error instanceof APIUserAbortError || (error instanceof Error && error.name === "AbortError")) {
    return new ModelError("aborted", "the model request was cancelled", { cause: error });
  }
  if (error instanceof APIConnectionTimeoutError) {
    return new ModelError(
      "timeout",
      `the ${context.api} API at ${context.baseUrl} did not answer within ${context.timeoutMs} ms${tried(context)}`,
      { cause: error },
    );
  }
  if (error instanceof APIConnectionError) {
    return new ModelError(
      "server",
      `cannot reach the ${context.api} API at ${context.baseUrl} (${connectionReason(error)})${tried(context)}: ` +
        "is the server running and OPENAI_BASE_URL right?",
      { cause: error },
    );
  }
  if (error instanceof APIError) {
    const classified = classifyFailure(failureOf(error), context);
    return new ModelError(classified.kind, classified.message, { cause: error });
  }
  // What is left failed while the SDK read the answer: invalid JSON, or a body that is not an object.
  const message = error instanceof Error ? error.message : String(error);
  return badResponse(`its answer could not be read (${oneLine(message)})`, context, error);
}

/**
 * The error for a response body that reports a failure itself (a Responses API `status: "failed"`,
 * or a proxy's `error` in place of choices), classified like an HTTP error with the same code.
 *
 * @example
 * if (body.error) throw failedResponseError(body.error, context);
 */
export function failedResponseError(
  error: { code?: string | number | null; message?: string | null },
  context: ModelErrorContext,
): ModelError {
  const message = error.message ?? "the response failed";
  // Proxies such as OpenRouter put the upstream HTTP status in `code`.
  if (typeof error.code === "number") {
    return classifyFailure({ status: error.code, message, fromHttpStatus: false }, context);
  }
  return classifyFailure({ code: error.code ?? undefined, message, fromHttpStatus: false }, context);
}

/**
 * The error for an answer that arrived but cannot be used: not the API's shape, or empty.
 *
 * @example
 * throw badResponse("it holds no choices", context);
 * // ModelError bad_response: "model "gpt-4o" at https://api.openai.com/v1 gave an unusable answer: it holds no choices"
 */
export function badResponse(detail: string, context: ModelErrorContext, cause?: unknown): ModelError {
  return new ModelError(
    "bad_response",
    `model "${context.model}" at ${context.baseUrl} gave an unusable answer: ${detail}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * The first problem zod found, as "where: what", for messages about malformed answers.
 *
 * @example
 * describeIssue(schema.safeParse({ output: 3 }).error!); // "output: Invalid input: expected array, received number"
 */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "unknown shape";
  const where = issue.path.length > 0 ? issue.path.join(".") : "the body";
  return `${where}: ${issue.message}`;
}

/**
 * The error for an input item an adapter cannot send: the loop built something outside the model interface.
 *
 * @example
 * default: throw unsupportedItem(item);
 */
export function unsupportedItem(item: unknown): TypeError {
  const type = typeof item === "object" && item !== null ? (item as { type?: unknown }).type : undefined;
  return new TypeError(
    `cannot send input item of type ${JSON.stringify(type ?? null)}: expected message, function_call, function_call_output or reasoning`,
  );
}
