import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadSettings, SettingsError } from "../../src/config/settings.ts";

const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n";

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadSettings(env);
  } catch (error) {
    if (error instanceof SettingsError) return error.problems;
    throw error;
  }
  return [];
}

describe("loadSettings", () => {
  it("applies defaults when nothing is set", () => {
    const settings = loadSettings({});
    expect(settings.github).toEqual({
      appId: undefined,
      privateKey: undefined,
      webhookSecret: undefined,
      webhookPath: "/api/github/webhooks",
      baseUrl: "https://api.github.com",
      requestTimeoutMs: 30_000,
    });
    expect(settings.server).toEqual({ host: "localhost", port: 3000 });
    expect(settings.model).toEqual({
      apiKey: undefined,
      baseUrl: undefined,
      name: "gpt-5-codex",
      api: "responses",
      reasoningEffort: "medium",
      contextWindow: undefined,
      timeoutMs: 600_000,
    });
    expect(settings.database).toEqual({ url: undefined, readUrl: undefined });
    expect(settings.dataDir).toBe(path.resolve(".loopwright"));
    expect(settings.sandbox).toBe("auto");
    expect(settings.workerConcurrency).toBe(2);
    expect(settings.cacheMaxMegabytes).toBe(10_240);
    expect(settings.logLevel).toBe("info");
    expect(settings.nodeEnv).toBe("development");
  });

  it("treats empty values as unset", () => {
    expect(loadSettings({ PORT: "", APP_ID: " ", DATABASE_URL: "" }).server.port).toBe(3000);
  });

  it("reads every valid value", () => {
    const settings = loadSettings({
      APP_ID: "123",
      PRIVATE_KEY: pem.replace(/\n/g, "\\n"),
      WEBHOOK_SECRET: "s3cret",
      WEBHOOK_PATH: "/hooks",
      GHE_HOST: "github.example.com",
      GHE_PROTOCOL: "http",
      HOST: "0.0.0.0",
      PORT: "8080",
      NODE_ENV: "production",
      LOG_LEVEL: "debug",
      OPENAI_API_KEY: "sk-test",
      OPENAI_BASE_URL: "http://127.0.0.1:11434/v1",
      DATABASE_URL: "postgres://postgres@127.0.0.1:5432/test",
      DATABASE_READ_URL: "postgresql://reader@replica/test",
      LOOPWRIGHT_DATA_DIR: "/var/lib/loopwright",
      LOOPWRIGHT_MODEL: "gpt-5-mini",
      LOOPWRIGHT_API: "chat",
      LOOPWRIGHT_REASONING_EFFORT: "high",
      LOOPWRIGHT_CONTEXT_WINDOW: "32768",
      LOOPWRIGHT_MODEL_TIMEOUT_SECONDS: "90",
      LOOPWRIGHT_GITHUB_TIMEOUT_SECONDS: "10",
      LOOPWRIGHT_SANDBOX: "none",
      LOOPWRIGHT_WORKER_CONCURRENCY: "8",
      LOOPWRIGHT_CACHE_MAX_MB: "2048",
    });
    expect(settings.github.appId).toBe(123);
    expect(settings.github.privateKey).toBe(pem);
    expect(settings.github.webhookSecret).toBe("s3cret");
    expect(settings.github.webhookPath).toBe("/hooks");
    expect(settings.github.baseUrl).toBe("http://github.example.com/api/v3");
    expect(settings.github.requestTimeoutMs).toBe(10_000);
    expect(settings.server).toEqual({ host: "0.0.0.0", port: 8080 });
    expect(settings.nodeEnv).toBe("production");
    expect(settings.logLevel).toBe("debug");
    expect(settings.model).toEqual({
      apiKey: "sk-test",
      baseUrl: "http://127.0.0.1:11434/v1",
      name: "gpt-5-mini",
      api: "chat",
      reasoningEffort: "high",
      contextWindow: 32768,
      timeoutMs: 90_000,
    });
    expect(settings.database).toEqual({
      url: "postgres://postgres@127.0.0.1:5432/test",
      readUrl: "postgresql://reader@replica/test",
    });
    expect(settings.dataDir).toBe("/var/lib/loopwright");
    expect(settings.sandbox).toBe("none");
    expect(settings.workerConcurrency).toBe(8);
    expect(settings.cacheMaxMegabytes).toBe(2048);
  });

  it("reads the private key from PRIVATE_KEY_PATH", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lw-settings-"));
    const keyPath = path.join(dir, "app.pem");
    writeFileSync(keyPath, pem);
    expect(loadSettings({ APP_ID: "1", PRIVATE_KEY_PATH: keyPath }).github.privateKey).toBe(pem);

    const notKey = path.join(dir, "notes.txt");
    writeFileSync(notKey, "hello");
    expect(problemsOf({ APP_ID: "1", PRIVATE_KEY_PATH: notKey })).toEqual([
      `Invalid setting PRIVATE_KEY_PATH: ${notKey} is not a PEM private key file`,
    ]);
    expect(problemsOf({ PRIVATE_KEY_PATH: path.join(dir, "missing.pem") })).toEqual([
      `Invalid setting PRIVATE_KEY_PATH: cannot read ${path.join(dir, "missing.pem")} (ENOENT)`,
    ]);
  });

  it.each([
    ["APP_ID", "abc", 'Invalid setting APP_ID: expected the numeric GitHub App ID (got "abc")'],
    ["APP_ID", "-4", 'Invalid setting APP_ID: expected the numeric GitHub App ID (got "-4")'],
    ["PORT", "70000", 'Invalid setting PORT: expected a whole number from 0 to 65535 (got "70000")'],
    ["PORT", "80.5", 'Invalid setting PORT: expected a whole number from 0 to 65535 (got "80.5")'],
    ["GHE_PROTOCOL", "ftp", 'Invalid setting GHE_PROTOCOL: expected one of https, http (got "ftp")'],
    [
      "LOG_LEVEL",
      "loud",
      'Invalid setting LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, silent (got "loud")',
    ],
    [
      "OPENAI_BASE_URL",
      "localhost:8000",
      'Invalid setting OPENAI_BASE_URL: expected an http(s) URL such as http://localhost:8000/v1 (got "localhost:8000")',
    ],
    [
      "DATABASE_URL",
      "mysql://db",
      'Invalid setting DATABASE_URL: expected a PostgreSQL connection URL such as postgres://user@host:5432/db (got "mysql://db")',
    ],
    [
      "LOOPWRIGHT_API",
      "grpc",
      'Invalid setting LOOPWRIGHT_API: expected one of responses, chat (got "grpc")',
    ],
    [
      "LOOPWRIGHT_REASONING_EFFORT",
      "max",
      'Invalid setting LOOPWRIGHT_REASONING_EFFORT: expected one of minimal, low, medium, high (got "max")',
    ],
    [
      "LOOPWRIGHT_SANDBOX",
      "docker",
      'Invalid setting LOOPWRIGHT_SANDBOX: expected one of auto, bwrap, none (got "docker")',
    ],
    [
      "LOOPWRIGHT_WORKER_CONCURRENCY",
      "0",
      'Invalid setting LOOPWRIGHT_WORKER_CONCURRENCY: expected a whole number from 1 to 64 (got "0")',
    ],
    [
      "LOOPWRIGHT_CACHE_MAX_MB",
      "lots",
      'Invalid setting LOOPWRIGHT_CACHE_MAX_MB: expected a whole number from 64 to 1048576 (got "lots")',
    ],
  ])("rejects %s=%s with one clear line", (variable, value, message) => {
    expect(problemsOf({ [variable]: value })).toEqual([message]);
  });

  it("hides secret values in messages", () => {
    const problems = problemsOf({ PRIVATE_KEY: "super-secret-value" });
    expect(problems).toEqual([
      "Invalid setting PRIVATE_KEY: expected a PEM private key (the text starting with -----BEGIN) (the value is hidden)",
    ]);
  });

  it("requires a private key with APP_ID, a webhook secret in production, and a primary with a replica", () => {
    expect(problemsOf({ APP_ID: "5" })).toEqual([
      "Invalid setting PRIVATE_KEY: APP_ID is set, so PRIVATE_KEY or PRIVATE_KEY_PATH is required",
    ]);
    expect(problemsOf({ APP_ID: "5", PRIVATE_KEY: pem, NODE_ENV: "production" })).toEqual([
      "Invalid setting WEBHOOK_SECRET: required in production so webhook signatures can be checked",
    ]);
    expect(problemsOf({ DATABASE_READ_URL: "postgres://replica/db" })).toEqual([
      "Invalid setting DATABASE_READ_URL: a read replica needs DATABASE_URL (the primary) as well",
    ]);
  });

  it("reads the queue's direct LISTEN connection, or off", () => {
    const primary = "postgres://bouncer:6432/lw";
    expect(loadSettings({ DATABASE_URL: primary }).database.listenUrl).toBeUndefined();
    expect(
      loadSettings({ DATABASE_URL: primary, DATABASE_LISTEN_URL: "postgres://primary:5432/lw" }).database
        .listenUrl,
    ).toBe("postgres://primary:5432/lw");
    expect(loadSettings({ DATABASE_URL: primary, DATABASE_LISTEN_URL: "off" }).database.listenUrl).toBe(
      false,
    );
    expect(problemsOf({ DATABASE_URL: primary, DATABASE_LISTEN_URL: "primary:5432" })).toEqual([
      'Invalid setting DATABASE_LISTEN_URL: expected a direct PostgreSQL connection URL to the primary, or off (got "primary:5432")',
    ]);
    expect(problemsOf({ DATABASE_LISTEN_URL: "postgres://primary/lw" })).toEqual([
      "Invalid setting DATABASE_LISTEN_URL: the queue's direct connection needs DATABASE_URL (the primary) as well",
    ]);
  });

  it("reports every bad variable at once", () => {
    expect(problemsOf({ PORT: "x", LOOPWRIGHT_API: "y" })).toHaveLength(2);
  });

  it("reads the dashboard's settings: OAuth on the GitHub host, public URL, admins, metrics token", () => {
    const plain = loadSettings({ PORT: "8080" }).web;
    expect(plain).toMatchObject({
      clientId: undefined,
      publicUrl: "http://localhost:8080",
      admins: [],
      githubUrl: "https://github.com",
    });
    const enterprise = loadSettings({
      GHE_HOST: "ghe.example.com",
      GITHUB_CLIENT_ID: "Iv1.abc",
      GITHUB_CLIENT_SECRET: "client-secret-value",
      PUBLIC_URL: "https://loopwright.example.com/",
      LOOPWRIGHT_URL: "http://127.0.0.1:3000/",
      LOOPWRIGHT_ADMINS: " alice, bob ,,",
      LOOPWRIGHT_METRICS_TOKEN: "scrape",
    }).web;
    expect(enterprise).toEqual({
      clientId: "Iv1.abc",
      clientSecret: "client-secret-value",
      publicUrl: "https://loopwright.example.com",
      localUrl: "http://127.0.0.1:3000",
      admins: ["alice", "bob"],
      metricsToken: "scrape",
      githubUrl: "https://ghe.example.com",
    });
    const half = problemsOf({ GITHUB_CLIENT_ID: "Iv1.abc" });
    expect(half).toHaveLength(1);
    expect(half[0]).toContain("needs both GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET");
    expect(
      problemsOf({ GITHUB_CLIENT_SECRET: "shh-secret", LOOPWRIGHT_URL: "ftp://x" }).join("\n"),
    ).not.toContain("shh-secret");
  });

  it("reads how GitHub's webhooks arrive: a proxy channel, or the public address's webhook route", () => {
    expect(loadSettings({}).github).toMatchObject({
      webhookProxyUrl: undefined,
      registeredWebhookUrl: undefined,
    });
    expect(
      loadSettings({ PUBLIC_URL: "https://lw.example.com:8443", WEBHOOK_PATH: "/hooks" }).github,
    ).toMatchObject({
      webhookProxyUrl: undefined,
      registeredWebhookUrl: "https://lw.example.com:8443/hooks",
    });
    expect(
      loadSettings({ PUBLIC_URL: "https://lw.example.com", WEBHOOK_PROXY_URL: "https://smee.io/abc" }).github,
    ).toMatchObject({ webhookProxyUrl: "https://smee.io/abc", registeredWebhookUrl: "https://smee.io/abc" });
    expect(loadSettings({ PORT: "8080" }).web.localUrl).toBe("http://localhost:8080");
    for (const bad of [
      "lw.example.com",
      "ftp://lw.example.com",
      "https://lw.example.com/app",
      "https://x?y=1",
    ]) {
      expect(problemsOf({ PUBLIC_URL: bad })).toEqual([
        `Invalid setting PUBLIC_URL: expected the http(s) address where GitHub and people reach this server, without a path, such as https://loopwright.example.com (got ${JSON.stringify(bad)})`,
      ]);
    }
    expect(problemsOf({ WEBHOOK_PROXY_URL: "not a url" })).toEqual([
      'Invalid setting WEBHOOK_PROXY_URL: expected the URL of a webhook proxy channel, such as https://smee.io/AbCdEf123456 (got "not a url")',
    ]);
  });
});
