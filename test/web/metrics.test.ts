import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.ts";
import { finishTask } from "../../src/store/tasks.ts";
import { createMetrics } from "../../src/web/metrics.ts";
import { openTestDatabase, type TestDatabase } from "../helpers/test-database.ts";
import { seedTask, toolCallPayload } from "./helpers/dashboard-server.ts";

const log = createLogger({ logLevel: "silent" });

describe("/metrics", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase("pglite");
  }, 120_000);
  afterAll(async () => {
    await db.dispose();
  });

  async function serve(metrics: ReturnType<typeof createMetrics>) {
    const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
      metrics.observeRequest(request, response);
      if (await metrics.handler(request, response)) return;
      response.writeHead(request.headers["x-hub-signature-256"] ? 202 : 400).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
  }

  it("counts deliveries, finished tasks, model calls, tokens and tool calls once each, and reports queue depth", async () => {
    const metrics = createMetrics({
      webhookPath: "/api/github/webhooks",
      token: undefined,
      reader: () => db.reader,
      queueDepth: async () => [{ lane: "interactive", queued: 3, active: 1 }],
      log,
      settleMs: 0,
    });
    const { task, steps } = await seedTask(db, "octo/app", { number: 1 });
    await steps.record({
      kind: "model_turn",
      payload: {
        type: "model_turn",
        model: "gpt-5-codex",
        durationMs: 1500,
        usage: { input: 1000, cached: 200, output: 50, reasoning: 10, total: 1050 },
      },
    });
    await steps.record({ kind: "tool_call", payload: toolCallPayload("npm test", 1, "fail") });
    await steps.record({
      kind: "tool_call",
      payload: { ...toolCallPayload("ls", 0, ""), name: "list_files", exitCode: null },
    });
    await finishTask(db, task.id, task.attempt, { status: "succeeded" });
    await new Promise((resolve) => setTimeout(resolve, 20));

    const server = await serve(metrics);
    try {
      const post = (event: string, signed: boolean) =>
        fetch(`${server.url}/api/github/webhooks`, {
          method: "POST",
          headers: { "x-github-event": event, ...(signed ? { "x-hub-signature-256": "sha256=x" } : {}) },
          body: "{}",
        });
      await post("issue_comment", true);
      await post("issue_comment", true);
      await post("pull_request", false);
      await post("<script>", false);

      const first = await (await fetch(`${server.url}/metrics`)).text();
      expect(first).toContain(
        'loopwright_webhook_deliveries_total{event="issue_comment",outcome="accepted"} 2',
      );
      expect(first).toContain(
        'loopwright_webhook_deliveries_total{event="pull_request",outcome="rejected"} 1',
      );
      expect(first).toContain('loopwright_webhook_deliveries_total{event="unknown",outcome="rejected"} 1');
      expect(first).toContain('loopwright_task_duration_seconds_count{kind="fix",outcome="succeeded"} 1');
      expect(first).toContain('loopwright_model_call_duration_seconds_count{model="gpt-5-codex"} 1');
      expect(first).toContain('loopwright_model_call_duration_seconds_sum{model="gpt-5-codex"} 1.5');
      expect(first).toContain('loopwright_model_tokens_total{model="gpt-5-codex",type="input"} 1000');
      expect(first).toContain('loopwright_model_tokens_total{model="gpt-5-codex",type="output"} 50');
      expect(first).toContain('loopwright_tool_calls_total{tool="shell",outcome="error"} 1');
      expect(first).toContain('loopwright_tool_calls_total{tool="list_files",outcome="ok"} 1');
      expect(first).toContain('loopwright_queue_jobs{lane="interactive",state="queued"} 3');
      expect(first).toContain("nodejs_heap_size_used_bytes");

      // A second scrape counts nothing twice.
      const second = await (await fetch(`${server.url}/metrics`)).text();
      expect(second).toContain('loopwright_model_tokens_total{model="gpt-5-codex",type="input"} 1000');
      expect(second).toContain('loopwright_task_duration_seconds_count{kind="fix",outcome="succeeded"} 1');
    } finally {
      server.close();
    }
  });

  it("asks for the bearer token when one is configured", async () => {
    const metrics = createMetrics({
      webhookPath: "/hooks",
      token: "scrape-me",
      reader: () => undefined,
      log,
    });
    const server = await serve(metrics);
    try {
      expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
      expect(
        (await fetch(`${server.url}/metrics`, { headers: { authorization: "Bearer wrong" } })).status,
      ).toBe(401);
      const ok = await fetch(`${server.url}/metrics`, { headers: { authorization: "Bearer scrape-me" } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("content-type")).toContain("text/plain");
      expect((await fetch(`${server.url}/metrics`, { method: "POST" })).status).toBe(405);
    } finally {
      server.close();
    }
  });
});
