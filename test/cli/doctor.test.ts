import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cleanEnv, runCli } from "../helpers/cli-process.ts";
import { startFakeGitHub } from "../helpers/fake-github.ts";

describe("loopwright doctor", () => {
  it("checks each part with a line saying what to fix, and fails on a wrong model or key", async () => {
    const github = await startFakeGitHub();
    github.route({
      method: "GET",
      path: /^\/app$/,
      reply: () => ({ status: 200, body: { id: 1, slug: "loopwright-test" } }),
    });
    let hookUrl = "https://smee.io/DoctorChannel1";
    github.route({
      method: "GET",
      path: /^\/app\/hook\/config$/,
      reply: () => ({ status: 200, body: { url: hookUrl, content_type: "json", insecure_ssl: "0" } }),
    });
    const models = createServer((request, response) => {
      const known =
        request.url === "/v1/models/gpt-5-codex" && request.headers.authorization === "Bearer sk-doctor";
      response.writeHead(known ? 200 : 404, { "content-type": "application/json" });
      response.end(
        JSON.stringify(
          known ? { id: "gpt-5-codex", object: "model" } : { error: { message: "no such model" } },
        ),
      );
    });
    await new Promise<void>((resolve) => models.listen(0, "127.0.0.1", resolve));
    const modelUrl = `http://127.0.0.1:${(models.address() as AddressInfo).port}/v1`;
    const { privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    const base = {
      LOOPWRIGHT_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), "lw-doctor-")),
      APP_ID: "1",
      PRIVATE_KEY: privateKey,
      GHE_HOST: github.host,
      GHE_PROTOCOL: "http",
      OPENAI_API_KEY: "sk-doctor",
      OPENAI_BASE_URL: modelUrl,
      WEBHOOK_PROXY_URL: "https://smee.io/DoctorChannel1",
    };
    try {
      const healthy = await runCli(["doctor"], { env: cleanEnv(base) });
      expect(healthy.output).toMatch(/^ok\s+node\s+v\d+/m);
      expect(healthy.output).toMatch(/^ok\s+git\s+git version/m);
      expect(healthy.output).toMatch(/^(ok|FAIL)\s+sandbox\s+/m);
      expect(healthy.output).toMatch(/^(ok|warn)\s+database\s+embedded/m);
      expect(healthy.output).toMatch(/^ok\s+model\s+.* knows gpt-5-codex/m);
      expect(healthy.output).toMatch(/^ok\s+github app\s+App 1 is loopwright-test/m);
      expect(healthy.output).toMatch(
        /^ok\s+webhook url\s+GitHub delivers to https:\/\/smee.io\/DoctorChannel1$/m,
      );
      expect(healthy.output).toMatch(/^warn\s+dashboard sign-in .*\n\s+fix: copy the App's client ID/m);
      expect(healthy.output).not.toContain("sk-doctor");
      const appRequest = github.requests.find((request) => request.path === "/app");
      expect(appRequest?.headers.authorization).toMatch(/^bearer eyJ/i);

      const broken = await runCli(["doctor"], {
        env: cleanEnv({ ...base, LOOPWRIGHT_MODEL: "no-such-model" }),
      });
      expect(broken.code).toBe(1);
      expect(broken.output).toMatch(/^FAIL\s+model\s+no-such-model .*status 404/m);
      expect(broken.output).toContain("fix: check LOOPWRIGHT_MODEL");

      hookUrl = "http://localhost:3000/";
      const { WEBHOOK_PROXY_URL: _proxy, ...direct } = base;
      const unreachable = await runCli(["doctor"], { env: cleanEnv(direct) });
      expect(unreachable.code).toBe(1);
      expect(unreachable.output).toMatch(
        /^FAIL\s+webhook url\s+GitHub delivers to http:\/\/localhost:3000\/, which it cannot reach\n\s+fix: set WEBHOOK_PROXY_URL to a smee.io channel, or PUBLIC_URL/m,
      );
      const elsewhere = await runCli(["doctor"], {
        env: cleanEnv({ ...direct, PUBLIC_URL: "https://loopwright.example.com" }),
      });
      expect(elsewhere.output).toMatch(
        /^FAIL\s+webhook url\s+GitHub delivers to http:\/\/localhost:3000\/, not to https:\/\/loopwright.example.com\/api\/github\/webhooks$/m,
      );

      const bare = await runCli(["doctor"], {
        env: cleanEnv({ LOOPWRIGHT_DATA_DIR: base.LOOPWRIGHT_DATA_DIR }),
      });
      expect(bare.output).toMatch(/^skip\s+model\s+OPENAI_API_KEY is not set/m);
      expect(bare.output).toMatch(/^warn\s+github app\s+APP_ID and PRIVATE_KEY are not set/m);
    } finally {
      models.close();
      await github.close();
    }
  }, 180_000);
});
