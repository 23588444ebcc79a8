import { SmeeClient } from "smee-client";
import type { Logger } from "../logger.ts";

/** A running forwarder from a webhook proxy channel to this server's webhook route. */
export type WebhookProxy = { stop(): Promise<void> };

/**
 * The address this machine reaches a listening server at: its own address, or loopback when it
 * listens on every interface (`0.0.0.0`, `[::]`).
 *
 * @example
 * localWebhookTarget("0.0.0.0", 3000, "/api/github/webhooks"); // "http://127.0.0.1:3000/api/github/webhooks"
 */
export function localWebhookTarget(host: string, port: number, path: string): string {
  const reachable = host === "0.0.0.0" ? "127.0.0.1" : host === "[::]" || host === "::" ? "[::1]" : host;
  return `http://${reachable}:${port}${path}`;
}

/**
 * Forwards the deliveries GitHub sends to a webhook proxy channel (a smee.io URL, as Probot apps use
 * on a laptop GitHub cannot reach) to `target`, this server's webhook route, where each is verified
 * and stored like a direct delivery (the signature travels with it). Connecting happens in the
 * background: a channel that cannot be reached is logged and retried, and never stops the server
 * (the channel does not keep deliveries for a client that is away: those are lost).
 *
 * @example
 * const proxy = startWebhookProxy({ source: "https://smee.io/AbC123", target: "http://127.0.0.1:3000/api/github/webhooks", log });
 * await proxy.stop();
 */
export function startWebhookProxy(options: { source: string; target: string; log: Logger }): WebhookProxy {
  const log = options.log.child({ webhookProxy: options.source });
  const client = new SmeeClient({
    source: options.source,
    target: options.target,
    logger: {
      info: (message: string) => log.info(message),
      error: (...details: unknown[]) => {
        const error = details.find((detail) => detail instanceof Error || typeof detail === "object");
        const message = details.find((detail) => typeof detail === "string") ?? "webhook proxy error";
        log.warn(error === undefined ? {} : { err: error }, message as string);
      },
    },
  });
  client.start().catch((error: unknown) => {
    // The EventSource's error carries the HTTP status when the channel answered (it then gives up).
    const status = (error as { code?: unknown }).code;
    log.warn(
      { err: error },
      typeof status === "number"
        ? `the webhook proxy channel answered ${status}, so nothing is forwarded: check WEBHOOK_PROXY_URL (a new channel: https://smee.io/new) and restart`
        : `cannot connect to the webhook proxy channel (${(error as Error).message ?? String(error)}); retrying — deliveries the channel receives meanwhile are not forwarded`,
    );
  });
  return { stop: () => client.stop() };
}
