import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanEnv, type RunningCli, runCli, startCli, waitForHttp } from "../helpers/cli-process.ts";
import { freePort } from "../helpers/free-port.ts";

/** The manifest the setup page would post to GitHub. */
async function setupManifest(base: string): Promise<Record<string, unknown>> {
  const page = await (await fetch(`${base}/probot`)).text();
  return JSON.parse(page.match(/name="manifest"[^>]*value='([^']*)'/)?.[1] ?? "{}");
}

describe("loopwright serve: the setup page's webhook URL, and its logs", () => {
  let running: RunningCli | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    running?.child.kill("SIGTERM");
    await running?.exited;
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    running = dataDir = undefined;
  });

  async function serveSetup(extra: Record<string, string>): Promise<string> {
    const port = await freePort();
    dataDir = mkdtempSync(path.join(os.tmpdir(), "lw-setup-"));
    running = startCli(["serve"], {
      env: cleanEnv({ PORT: String(port), HOST: "127.0.0.1", LOOPWRIGHT_DATA_DIR: dataDir, ...extra }),
    });
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/ping`, running);
    return base;
  }

  it("registers WEBHOOK_PROXY_URL as the App's webhook URL", { timeout: 300_000 }, async () => {
    const base = await serveSetup({ WEBHOOK_PROXY_URL: "https://smee.io/LoopwrightTest123" });
    const manifest = await setupManifest(base);
    expect(manifest.hook_attributes).toEqual({ url: "https://smee.io/LoopwrightTest123" });
  });

  it("registers PUBLIC_URL's webhook route, and logs one JSON object per line with each key once", {
    timeout: 300_000,
  }, async () => {
    const base = await serveSetup({ PUBLIC_URL: "https://loopwright.example.com/" });
    const manifest = await setupManifest(base);
    expect(manifest.hook_attributes).toEqual({ url: "https://loopwright.example.com/api/github/webhooks" });

    // Probot's setup messages and request logs go through Loopwright's logger: not a second format.
    const lines = (running as RunningCli).output().split("\n").filter(Boolean);
    expect(lines.some((line) => line.includes("Welcome to Probot!"))).toBe(true);
    for (const line of lines) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(JSON.stringify(parsed), "a key appears twice").toBe(line);
    }
  });

  it("reads settings missing from the environment from .env in the working folder", async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), "lw-dotenv-"));
    try {
      writeFileSync(path.join(folder, ".env"), "PORT=eighty\n");
      const env = cleanEnv();
      delete env.LOOPWRIGHT_ENV_FILE;
      const fromFile = await runCli(["serve"], { env, cwd: folder });
      expect(fromFile.code).toBe(2);
      expect(fromFile.output).toContain(
        'Invalid setting PORT: expected a whole number from 0 to 65535 (got "eighty")',
      );
      // A variable set in the environment wins over the file.
      const fromEnv = await runCli(["serve"], { env: { ...env, PORT: "ninety" }, cwd: folder });
      expect(fromEnv.output).toContain('(got "ninety")');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("says the port is taken, without a stack trace, before starting anything", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const { code, output } = await runCli(["serve"], {
        env: cleanEnv({
          PORT: String(port),
          HOST: "127.0.0.1",
          LOOPWRIGHT_DATA_DIR: "/nonexistent/never-created",
        }),
      });
      expect(code).toBe(1);
      expect(output.trim()).toBe(
        `loopwright serve: port ${port} on 127.0.0.1 is already in use (another loopwright serve?): stop that process, or set PORT to a free port`,
      );
    } finally {
      taken.close();
    }
  });

  it("refuses a PUBLIC_URL or WEBHOOK_PROXY_URL that is not an http(s) address, naming the variable", async () => {
    const withPath = await runCli(["serve"], {
      env: cleanEnv({ PUBLIC_URL: "https://example.com/loopwright" }),
    });
    expect(withPath.code).toBe(2);
    expect(withPath.output.trim()).toBe(
      'loopwright: Invalid setting PUBLIC_URL: expected the http(s) address where GitHub and people reach this server, without a path, such as https://loopwright.example.com (got "https://example.com/loopwright")',
    );
    const proxy = await runCli(["serve"], { env: cleanEnv({ WEBHOOK_PROXY_URL: "smee.io/abc" }) });
    expect(proxy.code).toBe(2);
    expect(proxy.output).toContain(
      'Invalid setting WEBHOOK_PROXY_URL: expected the URL of a webhook proxy channel, such as https://smee.io/AbCdEf123456 (got "smee.io/abc")',
    );
  });
});
