import { createHmac, randomUUID } from "node:crypto";
import { Worker } from "node:worker_threads";
import autocannon from "autocannon";
import type { PacedLoadOptions, PacedLoadOutcome } from "./paced-load-worker.ts";
import { quantile } from "./quantile.ts";

export type LoadResult = {
  sent: number;
  accepted: number;
  other: number;
  errors: number;
  p50: number;
  p99: number;
  deliveryIds: string[];
};

export type WebhookLoadOptions = {
  url: string;
  secret: string;
  rate: number;
  seconds: number;
  event: string;
  payload: unknown;
  /** How long one request may wait for its answer before it counts as an error (default 10 s). */
  timeoutSeconds?: number;
};

/** The body and the headers (all but the delivery id) of the load's deliveries, signed as GitHub signs. */
function signedDelivery(options: WebhookLoadOptions): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(options.payload);
  return {
    body,
    headers: {
      "content-type": "application/json",
      "x-github-event": options.event,
      "x-hub-signature-256": `sha256=${createHmac("sha256", options.secret).update(body).digest("hex")}`,
    },
  };
}

/**
 * POSTs signed webhook deliveries at `rate` per second for `seconds` to `url` (autocannon), each
 * with a delivery id of its own, and reports how they were answered and how fast. autocannon limits
 * the rate per connection and second: each second opens with every connection sending its share
 * back to back, so the load arrives as bursts (up to 50 at once) at the top of each second — a
 * backlog redelivered at once, say. For a steady stream, see `sendPacedWebhooks`.
 *
 * @example
 * const result = await sendWebhookLoad({ url, secret, rate: 200, seconds: 30, event: "ping", payload: { zen: "…" } });
 */
export async function sendWebhookLoad(options: WebhookLoadOptions): Promise<LoadResult> {
  const { body, headers } = signedDelivery(options);
  const deliveryIds: string[] = [];
  const result = await autocannon({
    url: options.url,
    method: "POST",
    connections: Math.min(50, Math.max(1, Math.ceil(options.rate / 4))),
    overallRate: options.rate,
    duration: options.seconds,
    timeout: options.timeoutSeconds ?? 10,
    headers,
    body,
    requests: [
      {
        setupRequest: (request) => {
          const id = randomUUID();
          deliveryIds.push(id);
          return { ...request, headers: { ...request.headers, "x-github-delivery": id } };
        },
      },
    ],
  });
  return {
    sent: result.requests.sent,
    accepted: result["2xx"],
    other: result.non2xx,
    errors: result.errors + result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
    deliveryIds,
  };
}

/**
 * POSTs signed webhook deliveries as a steady stream: one every 1/`rate` s for `seconds`, each sent
 * when due whether or not earlier ones were answered (an open loop, as GitHub delivers), from a worker
 * thread of its own, so that neither a slow server nor the calling process's own work holds a send
 * back (a server that falls behind cannot slow the stream down and flatter itself). autocannon cannot
 * pace this way (see `sendWebhookLoad`); this is the measurement of steady intake.
 *
 * @example
 * const result = await sendPacedWebhooks({ url, secret, rate: 200, seconds: 10, event: "issue_comment", payload });
 */
export async function sendPacedWebhooks(options: WebhookLoadOptions): Promise<LoadResult> {
  const workerData: PacedLoadOptions = {
    ...signedDelivery(options),
    url: options.url,
    rate: options.rate,
    seconds: options.seconds,
    timeoutSeconds: options.timeoutSeconds ?? 10,
  };
  const outcome = await new Promise<PacedLoadOutcome>((resolve, reject) => {
    const worker = new Worker(new URL("./paced-load-worker.ts", import.meta.url), { workerData });
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the load worker exited (${code}) without a result`)));
  });
  const latencies = outcome.latencies.sort((a, b) => a - b);
  const accepted = Object.entries(outcome.statuses)
    .filter(([status]) => status.startsWith("2"))
    .reduce((sum, [, count]) => sum + count, 0);
  const answered = Object.values(outcome.statuses).reduce((sum, count) => sum + count, 0);
  return {
    sent: outcome.deliveryIds.length,
    accepted,
    other: answered - accepted,
    errors: outcome.errors,
    p50: Math.round(quantile(latencies, 0.5) * 10) / 10,
    p99: Math.round(quantile(latencies, 0.99) * 10) / 10,
    deliveryIds: outcome.deliveryIds,
  };
}
