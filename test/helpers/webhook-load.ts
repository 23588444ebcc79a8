import { createHmac, randomUUID } from "node:crypto";
import autocannon from "autocannon";

export type LoadResult = {
  sent: number;
  accepted: number;
  other: number;
  errors: number;
  p50: number;
  p99: number;
  deliveryIds: string[];
};

/**
 * POSTs signed webhook deliveries at `rate` per second for `seconds` to `url` (autocannon), each
 * with a delivery id of its own, and reports how they were answered and how fast.
 *
 * @example
 * const result = await sendWebhookLoad({ url, secret, rate: 200, seconds: 30, event: "ping", payload: { zen: "…" } });
 */
export async function sendWebhookLoad(options: {
  url: string;
  secret: string;
  rate: number;
  seconds: number;
  event: string;
  payload: unknown;
  /** How long one request may wait for its answer before it counts as an error (default 10 s). */
  timeoutSeconds?: number;
}): Promise<LoadResult> {
  const body = JSON.stringify(options.payload);
  const signature = `sha256=${createHmac("sha256", options.secret).update(body).digest("hex")}`;
  const deliveryIds: string[] = [];
  const result = await autocannon({
    url: options.url,
    method: "POST",
    connections: Math.min(50, Math.max(1, Math.ceil(options.rate / 4))),
    overallRate: options.rate,
    duration: options.seconds,
    timeout: options.timeoutSeconds ?? 10,
    headers: {
      "content-type": "application/json",
      "x-github-event": options.event,
      "x-hub-signature-256": signature,
    },
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
