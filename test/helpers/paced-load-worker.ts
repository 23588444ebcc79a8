// The body of `sendPacedWebhooks` (webhook-load.ts), run in a worker thread of its own so that what
// else the calling process does (a fake GitHub answering the server under test) cannot delay a send
// or a measurement.
import { randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { parentPort, workerData } from "node:worker_threads";

export type PacedLoadOptions = {
  url: string;
  rate: number;
  seconds: number;
  headers: Record<string, string>;
  body: string;
  timeoutSeconds: number;
};

export type PacedLoadOutcome = {
  latencies: number[];
  statuses: Record<string, number>;
  errors: number;
  deliveryIds: string[];
};

const options = workerData as PacedLoadOptions;
const agent = new Agent({ keepAlive: true, maxSockets: 512 });
const outcome: PacedLoadOutcome = { latencies: [], statuses: {}, errors: 0, deliveryIds: [] };

/** One delivery; its latency counts from when it was sent to when its answer ended. */
function send(): Promise<void> {
  const id = randomUUID();
  const sentAt = performance.now();
  outcome.deliveryIds.push(id);
  return new Promise((resolve) => {
    const sent = request(options.url, {
      method: "POST",
      agent,
      headers: {
        ...options.headers,
        "x-github-delivery": id,
        "content-length": Buffer.byteLength(options.body),
      },
      timeout: options.timeoutSeconds * 1000,
    });
    sent.on("response", (response) => {
      response.resume();
      response.on("end", () => {
        outcome.latencies.push(performance.now() - sentAt);
        const status = String(response.statusCode);
        outcome.statuses[status] = (outcome.statuses[status] ?? 0) + 1;
        resolve();
      });
    });
    sent.on("timeout", () => sent.destroy(new Error("timed out")));
    sent.on("error", () => {
      outcome.errors += 1;
      resolve();
    });
    sent.end(options.body);
  });
}

const interval = 1000 / options.rate;
const total = Math.round(options.rate * options.seconds);
const start = performance.now();
const pending: Promise<void>[] = [];
for (let index = 0; index < total; index += 1) {
  const due = start + index * interval;
  const wait = due - performance.now();
  if (wait >= 1) await sleep(wait);
  pending.push(send());
}
await Promise.all(pending);
agent.destroy();
parentPort?.postMessage(outcome);
