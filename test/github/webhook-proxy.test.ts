import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { localWebhookTarget, startWebhookProxy, type WebhookProxy } from "../../src/github/webhook-proxy.ts";
import { createLogger } from "../../src/logger.ts";
import { type FakeSmee, startFakeSmee } from "../helpers/fake-smee.ts";
import { freePort } from "../helpers/free-port.ts";
import { waitFor } from "../helpers/wait-for.ts";

type Received = { url: string; headers: IncomingHttpHeaders; body: string };

async function startTarget(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      received.push({ url: request.url ?? "", headers: request.headers, body });
      response.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: localWebhookTarget("127.0.0.1", port, "/api/github/webhooks"), received };
}

function logSink(): { log: ReturnType<typeof createLogger>; lines: () => string[] } {
  let written = "";
  const sink = new Writable({
    write(chunk, _encoding, done) {
      written += String(chunk);
      done();
    },
  });
  return { log: createLogger({ logLevel: "info" }, sink), lines: () => written.split("\n").filter(Boolean) };
}

describe("webhook proxy (a smee.io channel forwarded to the inbox)", () => {
  let proxy: WebhookProxy | undefined;
  let smee: FakeSmee | undefined;
  let target: Server | undefined;
  afterEach(async () => {
    await proxy?.stop();
    await smee?.close();
    target?.close();
    proxy = smee = target = undefined;
  });

  it("forwards each delivery with its headers and a body the signature still matches", async () => {
    smee = await startFakeSmee();
    const receiver = await startTarget();
    target = receiver.server;
    proxy = startWebhookProxy({ source: smee.url, target: receiver.url, log: logSink().log });
    await smee.connections(1);
    const payload = { action: "opened", issue: { number: 7, title: 'Ünïcode — and "quotes"' } };
    smee.deliver("proxy-secret", { name: "issues", id: "delivery-1", payload });

    const [delivery] = await waitFor(() => receiver.received.length > 0 && receiver.received, 60_000);
    expect(delivery?.url).toBe("/api/github/webhooks");
    expect(delivery?.headers).toMatchObject({
      "x-github-event": "issues",
      "x-github-delivery": "delivery-1",
      "content-type": "application/json",
    });
    expect(delivery?.headers.host).not.toBe("smee.io");
    const signature = `sha256=${createHmac("sha256", "proxy-secret")
      .update(delivery?.body ?? "")
      .digest("hex")}`;
    expect(delivery?.headers["x-hub-signature-256"]).toBe(signature);
    expect(JSON.parse(delivery?.body ?? "")).toEqual(payload);
  }, 90_000);

  it("says so when the channel cannot be reached, and connects once it answers", async () => {
    const port = await freePort();
    const receiver = await startTarget();
    target = receiver.server;
    const { log, lines } = logSink();
    proxy = startWebhookProxy({ source: `http://127.0.0.1:${port}/channel`, target: receiver.url, log });
    const warning = await waitFor(
      () => lines().find((line) => line.includes("cannot connect to the webhook proxy channel")),
      60_000,
      "the warning",
    );
    expect(JSON.parse(warning)).toMatchObject({
      level: 40,
      webhookProxy: `http://127.0.0.1:${port}/channel`,
    });

    smee = await startFakeSmee(port);
    await smee.connections(1);
    const fake = smee;
    await waitFor(
      () => {
        fake.deliver("s", { name: "ping", id: "late", payload: { zen: "late" } });
        return receiver.received.length > 0;
      },
      60_000,
      "a forwarded delivery",
    );
    expect(receiver.received[0]?.headers["x-github-delivery"]).toBe("late");
  }, 120_000);

  it("says so when the channel answers with an error status", async () => {
    smee = await startFakeSmee();
    const receiver = await startTarget();
    target = receiver.server;
    const { log, lines } = logSink();
    proxy = startWebhookProxy({ source: smee.url.replace(/channel$/, "gone"), target: receiver.url, log });
    const warning = await waitFor(
      () => lines().find((line) => line.includes("the webhook proxy channel answered 404")),
      60_000,
      "the warning",
    );
    expect(JSON.parse(warning).msg).toContain("check WEBHOOK_PROXY_URL");
  }, 90_000);

  it("targets loopback when the server listens on every interface", () => {
    expect(localWebhookTarget("0.0.0.0", 3000, "/hooks")).toBe("http://127.0.0.1:3000/hooks");
    expect(localWebhookTarget("[::]", 3000, "/hooks")).toBe("http://[::1]:3000/hooks");
    expect(localWebhookTarget("127.0.0.1", 8080, "/hooks")).toBe("http://127.0.0.1:8080/hooks");
  });
});
