import { createHmac } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A stand-in for a smee.io channel: Server-Sent Events on 127.0.0.1, nothing leaves the machine. */
export type FakeSmee = {
  /** The channel URL a client connects to (and GitHub would post to). */
  url: string;
  /** Resolves once `count` clients have connected in all. */
  connections(count: number): Promise<void>;
  /** Sends a signed webhook delivery to every connected client, as smee.io relays one. */
  deliver(secret: string, event: { name: string; id: string; payload: unknown }): void;
  close(): Promise<void>;
};

/**
 * Starts a fake smee.io channel. Events carry the delivery's headers as fields and its JSON body
 * under `body`, as smee.io sends them; the signature is computed over the compact JSON that a
 * client re-serializes, as GitHub's own is.
 *
 * @example
 * const smee = await startFakeSmee();
 * smee.deliver("secret", { name: "issues", id: "d-1", payload: { action: "opened" } });
 */
export async function startFakeSmee(port = 0): Promise<FakeSmee> {
  const clients = new Set<ServerResponse>();
  let connected = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer((request, response) => {
    if (request.method !== "GET" || request.url !== "/channel") {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    response.write("event: ready\ndata: {}\n\n");
    clients.add(response);
    connected += 1;
    for (const waiter of waiters.filter((entry) => entry.count <= connected)) waiter.resolve();
    request.on("close", () => clients.delete(response));
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/channel`,
    connections: (count) =>
      new Promise((resolve) => {
        if (connected >= count) resolve();
        else waiters.push({ count, resolve });
      }),
    deliver(secret, event) {
      const body = JSON.stringify(event.payload);
      const data = {
        "x-github-event": event.name,
        "x-github-delivery": event.id,
        "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
        "content-type": "application/json",
        host: "smee.io",
        body: event.payload,
        query: {},
        timestamp: Date.now(),
      };
      for (const client of clients) client.write(`data: ${JSON.stringify(data)}\n\n`);
    },
    async close() {
      for (const client of clients) client.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
