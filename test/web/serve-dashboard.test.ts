import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { createStepRecorder } from "../../src/store/steps.ts";
import { createTask, startAttempt } from "../../src/store/tasks.ts";
import { createTranscriptRecorder } from "../../src/store/transcripts.ts";
import { cleanEnv, type RunningCli, runCli, startCli, waitForHttp } from "../helpers/cli-process.ts";
import { type FakeGitHub, startFakeGitHub } from "../helpers/fake-github.ts";
import { type FakeSmee, startFakeSmee } from "../helpers/fake-smee.ts";
import { freePort } from "../helpers/free-port.ts";
import { deliverWebhook } from "../helpers/github-world.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { toolCallPayload } from "./helpers/dashboard-server.ts";

describe("loopwright serve: dashboard, API, metrics and the CLI through them", () => {
  let dataDir: string;
  let github: FakeGitHub;
  let smee: FakeSmee;
  let running: RunningCli;
  let base: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), "lw-serve-web-"));
    const db = await openDatabase({ dataDir: path.join(dataDir, "db") });
    await migrate(db);
    const { task } = await createTask(db, {
      kind: "fix",
      repository: "octo/app",
      number: 9,
      trigger: "comment",
      requester: "rita",
    });
    await startAttempt(db, task.id, "elsewhere");
    await createStepRecorder(db, task.id, 1).record({
      kind: "tool_call",
      payload: toolCallPayload("npm test", 1, "1 failing"),
    });
    await createTranscriptRecorder(db, task.id, 1).append('{"output":[],"usage":{"input_tokens":1}}');
    await db.close();

    github = await startFakeGitHub();
    smee = await startFakeSmee();
    const { privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = cleanEnv({
      APP_ID: "1",
      PRIVATE_KEY: privateKey,
      WEBHOOK_SECRET: "serve-web-secret",
      GHE_HOST: github.host,
      GHE_PROTOCOL: "http",
      HOST: "127.0.0.1",
      PORT: String(port),
      PUBLIC_URL: base,
      WEBHOOK_PROXY_URL: smee.url,
      LOOPWRIGHT_URL: base,
      LOOPWRIGHT_DATA_DIR: dataDir,
      LOOPWRIGHT_METRICS_TOKEN: "metrics-secret",
      LOG_LEVEL: process.env.TEST_LOG ?? "warn",
    });
    running = startCli(["serve"], { env });
    await waitForHttp(`${base}/ready`, running, { status: 200 });
  }, 300_000);

  afterAll(async () => {
    running?.child.kill("SIGTERM");
    await running?.exited;
    await github?.close();
    await smee?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("lets `loopwright tasks` and `task` read through the API while serve holds the embedded database", async () => {
    const tokenFile = path.join(dataDir, "api-token");
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);

    const list = await runCli(["tasks"], { env });
    expect(list.code, list.output).toBe(0);
    expect(list.output).toMatch(/^\s+ID\s+STATUS\s+KIND/m);
    expect(list.output).toMatch(/^\s+1\s+running\s+fix .* octo\/app#9$/m);
    const shown = await runCli(["task", "1"], { env });
    expect(shown.code, shown.output).toBe(0);
    expect(shown.output).toContain("#1 fix · octo/app#9 · running");
    expect(shown.output).toMatch(/1\.0\s+shell\s+bash -lc npm test\s+exit 1/);
    const json = await runCli(["task", "--json", "1"], { env });
    expect(JSON.parse(json.output)).toMatchObject({
      task: { id: 1, repository: "octo/app" },
      steps: [{ kind: "tool_call" }],
    });

    const transcript = await runCli(["task", "--transcript", "1"], { env });
    expect(transcript.output).toBe('{"output":[],"usage":{"input_tokens":1}}\n');
    const token = readFileSync(tokenFile, "utf8").trim();
    const api = await fetch(`${base}/api/v1/tasks/1`, { headers: { authorization: `Bearer ${token}` } });
    expect(api.status).toBe(200);
    expect((await fetch(`${base}/api/v1/tasks/1`)).status).toBe(401);
  }, 120_000);

  it("serves /metrics behind its token and counts webhook deliveries by event and outcome", async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const bad = await deliverWebhook(`${base}/api/github/webhooks`, "not-the-secret", {
      name: "issues",
      id: "d-1",
      payload: { action: "opened" },
    });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: "Bearer metrics-secret" } });
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toContain('loopwright_webhook_deliveries_total{event="issues",outcome="rejected"} 1');
    expect(text).toMatch(/loopwright_queue_jobs\{lane="interactive",state="queued"\} \d+/);
    expect(text).toContain('loopwright_tasks_unfinished{status="running"} 1');
    expect(text).toContain("process_cpu_seconds_total");
  }, 120_000);

  it("takes deliveries from the WEBHOOK_PROXY_URL channel into the inbox, signature checked", async () => {
    await smee.connections(1);
    smee.deliver("serve-web-secret", { name: "ping", id: "proxied-1", payload: { zen: "Keep it simple." } });
    const accepted = 'loopwright_webhook_deliveries_total{event="ping",outcome="accepted"} 1';
    await waitFor(
      async () => {
        const metrics = await fetch(`${base}/metrics`, {
          headers: { authorization: "Bearer metrics-secret" },
        });
        return (await metrics.text()).includes(accepted);
      },
      60_000,
      "the proxied delivery to be accepted",
    );
  }, 120_000);

  it("answers /dashboard with why it is off when the App's OAuth credentials are missing", async () => {
    const page = await fetch(`${base}/dashboard`);
    expect(page.status).toBe(503);
    expect(await page.text()).toContain("GITHUB_CLIENT_SECRET");
  });
});
