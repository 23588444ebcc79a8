import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { webhookInboxHandler } from "../../src/github/webhook-inbox.ts";
import type { Delivery } from "../../src/store/inbox.ts";

const SECRET = "inbox-secret";
const sign = (body: string, secret = SECRET) =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

describe("the webhook inbox route", () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  async function start(accept: (delivery: Delivery) => Promise<{ accepted: boolean }>): Promise<string> {
    const handler = webhookInboxHandler({
      path: "/hooks",
      secret: SECRET,
      accept,
      log: pino({ level: "silent" }),
    });
    server = createServer(async (request, response) => {
      if (!(await handler(request, response))) response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  }

  const post = (url: string, body: string, headers: Record<string, string>) =>
    fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });

  it("stores a signed delivery and answers 202 without doing anything else", async () => {
    const stored: Delivery[] = [];
    const url = await start(async (delivery) => {
      stored.push(delivery);
      return { accepted: stored.length === 1 };
    });
    const body = JSON.stringify({
      action: "created",
      installation: { id: 7 },
      repository: { full_name: "o/r" },
    });
    const headers = {
      "x-github-event": "issue_comment",
      "x-github-delivery": "d-1",
      "x-hub-signature-256": sign(body),
    };
    const response = await post(url, body, headers);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ delivery: "d-1", accepted: true });
    expect(stored[0]).toMatchObject({
      id: "d-1",
      event: "issue_comment",
      action: "created",
      installationId: 7,
      repository: "o/r",
    });
    // GitHub's retry of the same delivery is answered the same way; the store says it was a repeat.
    expect(await (await post(url, body, headers)).json()).toEqual({ delivery: "d-1", accepted: false });
  });

  it("refuses bad signatures, missing headers, bad JSON, oversized bodies and other methods, storing none", async () => {
    const stored: Delivery[] = [];
    const url = await start(async (delivery) => {
      stored.push(delivery);
      return { accepted: true };
    });
    const body = JSON.stringify({ action: "opened" });
    const base = { "x-github-event": "issues", "x-github-delivery": "d-2" };
    const badSignature = await post(url, body, { ...base, "x-hub-signature-256": sign(body, "wrong") });
    expect(badSignature.status).toBe(401);
    expect(((await badSignature.json()) as { error: string }).error).toMatch(/signature does not match/);
    const missing = await post(url, body, { "x-hub-signature-256": sign(body) });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: string }).error).toBe(
      "missing header X-GitHub-Event, X-GitHub-Delivery",
    );
    const notJson = "{not json";
    expect((await post(url, notJson, { ...base, "x-hub-signature-256": sign(notJson) })).status).toBe(400);
    const huge = "x".repeat(26 * 1024 * 1024);
    expect((await post(url, huge, { ...base, "x-hub-signature-256": sign(huge) })).status).toBe(413);
    const get = await fetch(url);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(stored).toEqual([]);
  });

  it("answers 503 when the delivery cannot be stored, so GitHub records the failure for the redelivery sweep", async () => {
    const url = await start(async () => {
      throw new Error("connection refused");
    });
    const body = "{}";
    const response = await post(url, body, {
      "x-github-event": "ping",
      "x-github-delivery": "d-3",
      "x-hub-signature-256": sign(body),
    });
    expect(response.status).toBe(503);
  });
});
