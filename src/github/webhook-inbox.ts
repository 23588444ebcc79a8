import type { IncomingMessage, ServerResponse } from "node:http";
import { verify } from "@octokit/webhooks-methods";
import type { Logger } from "../logger.ts";
import type { Delivery } from "../store/inbox.ts";

/** GitHub caps a webhook payload at 25 MB; anything larger is not GitHub's. */
const MAX_BODY_BYTES = 25 * 1024 * 1024;

export type WebhookInboxOptions = {
  /** Where GitHub posts (`WEBHOOK_PATH`, default `/api/github/webhooks`). */
  path: string;
  /** The webhook secret every delivery is signed with. */
  secret: string;
  /** Stores the delivery and enqueues its intake (one transaction); `accepted: false` for a retry. */
  accept(delivery: Delivery): Promise<{ accepted: boolean }>;
  log: Logger;
};

type Answer = { status: number; body: Record<string, unknown> };

/** The body, or "too large" once it passes the cap (the rest is read and dropped, so the answer arrives). */
function readBody(request: IncomingMessage): Promise<Buffer | "too large"> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else chunks.length = 0;
    });
    request.on("end", () => resolve(size > MAX_BODY_BYTES ? "too large" : Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

const header = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name];
  return typeof value === "string" && value !== "" ? value : undefined;
};

/** The parts of a payload the inbox keeps in columns of their own, for queries and logs. */
function summarize(payload: unknown): Pick<Delivery, "action" | "installationId" | "repository"> {
  const fields = (payload ?? {}) as {
    action?: unknown;
    installation?: { id?: unknown };
    repository?: { full_name?: unknown };
  };
  return {
    action: typeof fields.action === "string" ? fields.action : undefined,
    installationId: typeof fields.installation?.id === "number" ? fields.installation.id : undefined,
    repository: typeof fields.repository?.full_name === "string" ? fields.repository.full_name : undefined,
  };
}

async function receive(request: IncomingMessage, options: WebhookInboxOptions): Promise<Answer> {
  const event = header(request, "x-github-event");
  const id = header(request, "x-github-delivery");
  const signature = header(request, "x-hub-signature-256");
  if (!event || !id || !signature) {
    const missing = [
      !event && "X-GitHub-Event",
      !id && "X-GitHub-Delivery",
      !signature && "X-Hub-Signature-256",
    ];
    return { status: 400, body: { error: `missing header ${missing.filter(Boolean).join(", ")}` } };
  }
  const body = await readBody(request);
  if (body === "too large") return { status: 413, body: { error: "the payload is larger than 25 MB" } };
  const text = body.toString("utf8");
  if (!(await verify(options.secret, text, signature).catch(() => false))) {
    return { status: 401, body: { error: "the signature does not match the webhook secret" } };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return { status: 400, body: { error: "the payload is not JSON" } };
  }
  const delivery: Delivery = { id, event, payload, ...summarize(payload) };
  try {
    const { accepted } = await options.accept(delivery);
    return { status: 202, body: { delivery: id, accepted } };
  } catch (error) {
    // Not stored: GitHub records the failure, and the missed-delivery sweep asks for it again.
    options.log.error({ err: error, delivery: id, event }, "could not store a webhook delivery");
    return { status: 503, body: { error: "the delivery could not be stored; it will be asked for again" } };
  }
}

/**
 * The webhook route: verifies the signature, stores the raw delivery and enqueues its intake job in
 * one transaction, and answers 202 — nothing else on the request path (no GitHub call, no config
 * read). Missing headers and bad JSON get 400, a bad signature 401, an oversized body 413; none of
 * them is stored. An HTTP handler in Probot `Server#addHandler`'s shape.
 *
 * @example
 * server.addHandler(webhookInboxHandler({ path: "/api/github/webhooks", secret, accept, log }));
 */
export function webhookInboxHandler(options: WebhookInboxOptions) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    if ((request.url ?? "").split("?")[0] !== options.path) return false;
    let answer: Answer;
    if (request.method !== "POST") {
      answer = { status: 405, body: { error: "webhooks are POSTed" } };
      response.setHeader("allow", "POST");
    } else {
      answer = await receive(request, options);
    }
    const event = header(request, "x-github-event");
    const delivery = header(request, "x-github-delivery");
    if (answer.status === 202)
      options.log.info({ delivery, event, accepted: answer.body.accepted }, "webhook stored");
    else
      options.log.warn(
        { delivery, event, status: answer.status, reason: answer.body.error },
        "webhook refused",
      );
    response.writeHead(answer.status, { "content-type": "application/json" });
    response.end(JSON.stringify(answer.body));
    return true;
  };
}
