import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Logger } from "../logger.ts";
import type { Queryable } from "../store/database.ts";
import type { ReplicaLag } from "../store/read-your-writes.ts";
import type { Lane } from "../store/tasks.ts";

/** Jobs waiting and running in one lane's queue, as pg-boss counts them. */
export type LaneDepth = { lane: Lane; queued: number; active: number };

export type MetricsOptions = {
  /** Where webhooks arrive (deliveries are counted there). */
  webhookPath: string;
  /** When set, /metrics needs `Authorization: Bearer <token>`. */
  token: string | undefined;
  /** The database to read task and step metrics from, once open. */
  reader(): Queryable | undefined;
  /** Queue depth per lane, where this process runs a queue. */
  queueDepth?: () => Promise<LaneDepth[]>;
  /** How far the read replica is behind the primary, where reads go to one. */
  replicaLag?: () => Promise<ReplicaLag | undefined>;
  log: Logger;
  /** Steps and tasks younger than this are left for the next scrape (writes still landing). */
  settleMs?: number;
  now?: () => Date;
};

export type Metrics = {
  registry: Registry;
  /** Counts a webhook delivery by event and outcome when its response is sent (an `http.Server` "request" listener). */
  observeRequest(request: IncomingMessage, response: ServerResponse): void;
  /** Reads what happened in the database since the last scrape into the counters and histograms. */
  sample(): Promise<void>;
  /** `GET /metrics` in Prometheus' text format. */
  handler(request: IncomingMessage, response: ServerResponse): Promise<boolean>;
};

type TaskRow = { kind: string; status: string; seconds: number | string | null };
type ModelRow = { model: string | null; ms: number | string | null; usage: Record<string, unknown> | null };
type ToolRow = { tool: string | null; failed: boolean };

const label = (value: string | null | undefined, fallback = "unknown"): string =>
  value && /^[\w.:/-]{1,80}$/.test(value) ? value : fallback;

/**
 * Prometheus metrics with `prom-client`: the process's default metrics; webhook deliveries by event
 * and outcome (counted as their responses leave); queue depth per lane; and, read from the database
 * at each scrape (so workers in other processes are counted too, once, by whichever process is
 * scraped), task durations by kind and outcome, model call latency and tokens by model, and tool
 * calls by tool and outcome. Counters start at zero when the process starts.
 *
 * @example
 * const metrics = createMetrics({ webhookPath: "/api/github/webhooks", token: undefined,
 *   reader: () => db.reader, log });
 * server.addHandler(metrics.handler);
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const now = options.now ?? (() => new Date());
  const settleMs = options.settleMs ?? 2_000;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const deliveries = new Counter({
    name: "loopwright_webhook_deliveries_total",
    help: "Webhook deliveries received, by event and outcome (accepted, rejected, failed)",
    labelNames: ["event", "outcome"],
    registers,
  });
  const queueDepth = new Gauge({
    name: "loopwright_queue_jobs",
    help: "Task jobs in the queue per lane, by state (queued, active)",
    labelNames: ["lane", "state"],
    registers,
  });
  const taskDuration = new Histogram({
    name: "loopwright_task_duration_seconds",
    help: "Wall time of finished tasks, by kind and outcome",
    labelNames: ["kind", "outcome"],
    buckets: [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
    registers,
  });
  const modelLatency = new Histogram({
    name: "loopwright_model_call_duration_seconds",
    help: "Latency of model calls, by model",
    labelNames: ["model"],
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
    registers,
  });
  const modelTokens = new Counter({
    name: "loopwright_model_tokens_total",
    help: "Tokens of model calls, by model and type (input, cached, output, reasoning)",
    labelNames: ["model", "type"],
    registers,
  });
  const toolCalls = new Counter({
    name: "loopwright_tool_calls_total",
    help: "Tool calls the agent made, by tool and outcome (ok, error)",
    labelNames: ["tool", "outcome"],
    registers,
  });
  const unfinished = new Gauge({
    name: "loopwright_tasks_unfinished",
    help: "Tasks queued or running, by status",
    labelNames: ["status"],
    registers,
  });

  const lagBytes = new Gauge({
    name: "loopwright_replica_lag_bytes",
    help: "WAL bytes the read replica (DATABASE_READ_URL) has not replayed yet",
    registers,
  });
  const lagSeconds = new Gauge({
    name: "loopwright_replica_lag_seconds",
    help: "Age of the read replica's last replayed transaction while it is behind (0 when caught up)",
    registers,
  });

  let since = now();
  let sampling: Promise<void> | undefined;

  async function readDatabase(db: Queryable): Promise<void> {
    const until = new Date(now().getTime() - settleMs);
    if (until <= since) return;
    const window = [since, until];
    const tasks = await db.query<TaskRow>(
      `select kind, status, extract(epoch from finished_at - coalesce(started_at, created_at)) as seconds
       from loopwright.tasks where finished_at > $1 and finished_at <= $2`,
      window,
    );
    const models = await db.query<ModelRow>(
      `select payload->>'model' as model, payload->'durationMs' as ms, payload->'usage' as usage
       from loopwright.steps where kind = 'model_turn' and started_at > $1 and started_at <= $2`,
      window,
    );
    const tools = await db.query<ToolRow>(
      `select payload->>'name' as tool,
         coalesce((payload->>'isError')::boolean, false)
           or coalesce((payload->>'exitCode')::int, 0) <> 0 as failed
       from loopwright.steps where kind = 'tool_call' and started_at > $1 and started_at <= $2`,
      window,
    );
    const active = await db.query<{ status: string; n: number }>(
      `select status, count(*)::int as n from loopwright.tasks
       where status in ('queued', 'running') group by status`,
    );
    since = until;
    for (const row of tasks.rows) {
      const seconds = Number(row.seconds);
      if (Number.isFinite(seconds) && seconds >= 0) {
        taskDuration.observe({ kind: label(row.kind), outcome: label(row.status) }, seconds);
      }
    }
    for (const row of models.rows) {
      const model = label(row.model);
      const ms = Number(row.ms);
      if (Number.isFinite(ms) && ms >= 0) modelLatency.observe({ model }, ms / 1000);
      for (const type of ["input", "cached", "output", "reasoning"]) {
        const count = Number(row.usage?.[type] ?? 0);
        if (Number.isFinite(count) && count > 0) modelTokens.inc({ model, type }, count);
      }
    }
    for (const row of tools.rows) {
      toolCalls.inc({ tool: label(row.tool), outcome: row.failed ? "error" : "ok" });
    }
    unfinished.reset();
    for (const status of ["queued", "running"]) unfinished.set({ status }, 0);
    for (const row of active.rows) unfinished.set({ status: row.status }, row.n);
  }

  async function sample(): Promise<void> {
    // Concurrent scrapes share one read, so no window is counted twice.
    sampling ??= (async () => {
      try {
        const db = options.reader();
        if (db) await readDatabase(db);
        if (options.queueDepth) {
          for (const depth of await options.queueDepth()) {
            queueDepth.set({ lane: depth.lane, state: "queued" }, depth.queued);
            queueDepth.set({ lane: depth.lane, state: "active" }, depth.active);
          }
        }
        const lag = await options.replicaLag?.();
        if (lag) {
          lagBytes.set(lag.bytes);
          lagSeconds.set(lag.seconds);
        }
      } catch (error) {
        options.log.warn({ err: error }, "metrics: cannot read the database; serving the last values");
      } finally {
        sampling = undefined;
      }
    })();
    return sampling;
  }

  const expected =
    options.token === undefined ? undefined : createHash("sha256").update(options.token).digest();

  return {
    registry,
    observeRequest(request, response) {
      if (request.method !== "POST" || (request.url ?? "").split("?")[0] !== options.webhookPath) return;
      const header = request.headers["x-github-event"];
      const event = typeof header === "string" && /^[a-z_]{1,60}$/.test(header) ? header : "unknown";
      response.once("finish", () => {
        const status = response.statusCode;
        const outcome = status < 300 ? "accepted" : status < 500 ? "rejected" : "failed";
        deliveries.inc({ event, outcome });
      });
    },
    sample,
    async handler(request, response) {
      if ((request.url ?? "").split("?")[0] !== "/metrics") return false;
      if (request.method !== "GET") {
        response.writeHead(405, { allow: "GET", "content-type": "text/plain" }).end("GET only\n");
        return true;
      }
      if (expected) {
        const given = (request.headers.authorization ?? "").replace(/^bearer\s+/i, "");
        const digest = createHash("sha256").update(given).digest();
        if (!timingSafeEqual(digest, expected)) {
          options.log.debug("metrics: refused a scrape without the right bearer token");
          response.writeHead(401, { "content-type": "text/plain", "www-authenticate": "Bearer" });
          response.end("send Authorization: Bearer with LOOPWRIGHT_METRICS_TOKEN\n");
          return true;
        }
      }
      await sample();
      response.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
      response.end(await registry.metrics());
      return true;
    },
  };
}
