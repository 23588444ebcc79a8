import { afterEach, describe, expect, it } from "vitest";
import { cleanEnv, type RunningCli, runCli, startCli, waitForHttp } from "../helpers/cli-process.ts";
import { freePort } from "../helpers/free-port.ts";

describe("loopwright serve", () => {
  let running: RunningCli | undefined;
  afterEach(async () => {
    running?.child.kill("SIGTERM");
    await running?.exited;
    running = undefined;
  });

  it("serves the GitHub App setup page and /ping when no credentials are set", {
    timeout: 300_000,
  }, async () => {
    const port = await freePort();
    running = startCli(["serve"], {
      env: cleanEnv({
        PORT: String(port),
        HOST: "127.0.0.1",
        NO_SMEE_SETUP: "true",
        LOOPWRIGHT_DATA_DIR: "",
      }),
    });
    const ping = await waitForHttp(`http://127.0.0.1:${port}/ping`, running);
    expect(ping.status).toBe(200);
    expect(await ping.text()).toBe("PONG");

    const setup = await fetch(`http://127.0.0.1:${port}/probot`);
    expect(setup.status).toBe(200);
    const page = await setup.text();
    expect(page).toContain("<form");
    expect(page).toContain("manifest");
    // The manifest posted to GitHub comes from app.yml: a private app without the workflows permission.
    const manifest = JSON.parse(page.match(/name="manifest"[^>]*value='([^']*)'/)?.[1] ?? "{}");
    expect(manifest.public).toBe(false);
    expect(manifest.default_permissions).toMatchObject({ contents: "write", metadata: "read" });
    expect(manifest.default_permissions.workflows).toBeUndefined();
  });

  it("stops on SIGTERM with exit code 0, even while still starting", { timeout: 300_000 }, async () => {
    const port = await freePort();
    running = startCli(["serve"], { env: cleanEnv({ PORT: String(port), NO_SMEE_SETUP: "true" }) });
    await waitForHttp(`http://localhost:${port}/ping`, running);
    running.child.kill("SIGTERM");
    expect(await running.exited).toBe(0);
  });

  it("exits non-zero with one clear line naming a bad setting", async () => {
    const { code, output } = await runCli(["serve"], { env: cleanEnv({ PORT: "eighty" }) });
    expect(code).toBe(2);
    expect(output.trim()).toBe(
      'loopwright: Invalid setting PORT: expected a whole number from 0 to 65535 (got "eighty")',
    );
  });

  it("never prints a secret value", async () => {
    const { code, output } = await runCli(["serve"], {
      env: cleanEnv({ PRIVATE_KEY: "not-a-key-but-a-secret-123", APP_ID: "12" }),
    });
    expect(code).toBe(2);
    expect(output).toContain("Invalid setting PRIVATE_KEY");
    expect(output).not.toContain("secret-123");
  });
});

describe("loopwright", () => {
  it("lists commands with --help and rejects unknown ones", async () => {
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.output).toContain("serve");
    const unknown = await runCli(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.output).toContain('unknown command "frobnicate"');
  });

  it("prints a command's help and rejects unknown options", async () => {
    const help = await runCli(["serve", "--help"]);
    expect(help.code).toBe(0);
    expect(help.output).toContain("Usage: loopwright serve");
    const bad = await runCli(["serve", "--bogus"]);
    expect(bad.code).toBe(2);
    expect(bad.output).toContain("Unknown option '--bogus'");
  });
});
