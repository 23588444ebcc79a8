import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createReadiness, readinessHandler } from "../../src/web/readiness.ts";

describe("/ready", () => {
  const servers: ReturnType<typeof createServer>[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  async function serve(handler: ReturnType<typeof readinessHandler>): Promise<string> {
    const server = createServer((request, response) => {
      if (!handler(request, response)) response.writeHead(404).end();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it("answers 503 with the start-up phase, 200 once ready, and leaves other paths alone", async () => {
    const readiness = createReadiness();
    const base = await serve(readinessHandler(readiness));
    readiness.set("applying database migrations");
    const starting = await fetch(`${base}/ready`);
    expect(starting.status).toBe(503);
    expect(await starting.json()).toEqual({ ready: false, phase: "applying database migrations" });

    readiness.markReady();
    const ready = await fetch(`${base}/ready?probe=1`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, phase: "ready" });
    expect((await fetch(`${base}/readyz`)).status).toBe(404);

    readiness.markFailed("cannot connect to DATABASE_URL");
    const failed = await fetch(`${base}/ready`);
    expect(failed.status).toBe(503);
    expect(((await failed.json()) as { phase: string }).phase).toBe("failed: cannot connect to DATABASE_URL");
  });
});
