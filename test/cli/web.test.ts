import { afterEach, describe, expect, it } from "vitest";
import { cleanEnv, type RunningCli, runCli, startCli, waitForHttp } from "../helpers/cli-process.ts";
import { freePort } from "../helpers/free-port.ts";
import { createServerDatabase, serverUrl } from "../helpers/test-database.ts";

describe("loopwright web", () => {
  let running: RunningCli | undefined;
  afterEach(async () => {
    running?.child.kill("SIGTERM");
    await running?.exited;
    running = undefined;
  });

  it("refuses to start without DATABASE_URL, saying what serves the embedded database", async () => {
    const { code, output } = await runCli(["web"], { env: cleanEnv() });
    expect(code).toBe(2);
    expect(output).toContain("DATABASE_URL is not set");
    expect(output).toContain("'loopwright serve' serves the dashboard");
  });

  it.skipIf(!serverUrl)(
    "serves the dashboard, its API and /metrics against PostgreSQL",
    { timeout: 300_000 },
    async () => {
      const database = await createServerDatabase();
      try {
        const port = await freePort();
        const base = `http://127.0.0.1:${port}`;
        running = startCli(["web"], {
          env: cleanEnv({
            DATABASE_URL: database.url,
            HOST: "127.0.0.1",
            PORT: String(port),
            LOG_LEVEL: "warn",
          }),
        });
        await waitForHttp(`${base}/ping`, running, { status: 200 });
        const page = await fetch(`${base}/dashboard`);
        expect(page.status).toBe(503);
        expect(await page.text()).toContain("The dashboard is off");
        expect((await fetch(`${base}/api/v1/tasks`)).status).toBe(401);
        expect((await fetch(`${base}/metrics`)).status).toBe(200);
        expect((await fetch(`${base}/nothing`)).status).toBe(404);
        running.child.kill("SIGTERM");
        expect(await running.exited).toBe(0);
        running = undefined;
      } finally {
        await database.drop();
      }
    },
  );
});
