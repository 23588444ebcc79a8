import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { createTaskApiClient } from "../../src/web/api-client.ts";
import { freePort } from "../helpers/free-port.ts";

describe("the CLI's API client", () => {
  it("tells a missing task from a server without the API, and says when nothing answers", async () => {
    const server = createServer((request, response) => {
      const ours = request.url?.startsWith("/api/v1/tasks/7");
      response.writeHead(404, { "content-type": ours ? "application/json" : "text/plain" });
      response.end(
        ours ? JSON.stringify({ error: "there is no task 7, or you cannot see it" }) : "Not found",
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const client = createTaskApiClient(base, "lwl_x");
      expect(await client.getTask(7)).toBeUndefined();
      await expect(client.listTasks({ limit: 5 })).rejects.toThrow(/does not serve the Loopwright API/);
    } finally {
      server.close();
    }
    const nobody = createTaskApiClient(`http://127.0.0.1:${await freePort()}`, "lwl_x");
    await expect(nobody.listTasks({ limit: 5 })).rejects.toThrow(
      /does not answer \(ECONNREFUSED\); set LOOPWRIGHT_URL/,
    );
  });
});
