import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { finishTask } from "../../src/store/tasks.ts";
import {
  type DashboardServer,
  seedTask,
  startDashboardServer,
  toolCallPayload,
} from "./helpers/dashboard-server.ts";
import { type FakeGitHubUsers, startFakeGitHubUsers } from "./helpers/fake-github-users.ts";

const READER = {
  login: "rita",
  token: "ghu_ritaReader000000000000000000000000",
  repositories: [{ fullName: "octo/app", permission: "read" as const }],
};

/** Reads Server-Sent Events from a streaming response until `until` says stop. */
async function readEvents(
  response: Response,
  until: (events: { event: string; data: string; id?: string }[]) => boolean,
) {
  const events: { event: string; data: string; id?: string }[] = [];
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  while (!until(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(
        block
          .split("\n")
          .filter((line) => !line.startsWith(":") && line.includes(": "))
          .map((line) => [line.slice(0, line.indexOf(": ")), line.slice(line.indexOf(": ") + 2)]),
      );
      if (fields.event)
        events.push({
          event: fields.event,
          data: fields.data ?? "",
          ...(fields.id ? { id: fields.id } : {}),
        });
      end = buffer.indexOf("\n\n");
    }
  }
  await reader.cancel();
  return events;
}

describe("GET /dashboard/tasks/ID/events", () => {
  let fake: FakeGitHubUsers;
  let server: DashboardServer;
  beforeAll(async () => {
    fake = await startFakeGitHubUsers([READER]);
    server = await startDashboardServer(fake);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  it("streams steps written after the cursor, shares one poller between viewers, and ends with the task", async () => {
    const { task, steps } = await seedTask(server.db, "octo/app", { number: 4 });
    await steps.record({ kind: "workspace", payload: { branch: "agent/x", baseSha: "abc" } });
    const open = () =>
      fetch(`${server.url}/dashboard/tasks/${task.id}/events?after=1.0`, {
        headers: { authorization: `Bearer ${READER.token}` },
      });
    const first = await open();
    const second = await open();
    expect(first.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(server.dashboard.feed.pollers).toBe(1);

    await steps.record({ kind: "tool_call", payload: toolCallPayload("npm test", 0, "ok <b>") });
    const streams = await Promise.all(
      [first, second].map((response) =>
        readEvents(response, (events) => events.some((event) => event.event === "step")),
      ),
    );
    expect(streams).toHaveLength(2);
    for (const events of streams) {
      const step = events.find((event) => event.event === "step");
      expect(step?.id).toBe("1.1");
      const data = JSON.parse(step?.data ?? "{}");
      expect(data.html).toContain("npm test");
      expect(data.html).toContain("ok &lt;b&gt;");
    }

    const third = await open();
    await finishTask(server.db, task.id, task.attempt, { status: "cancelled", error: "stopped" });
    const ending = await readEvents(third, (events) => events.some((event) => event.event === "end"));
    expect(ending.filter((event) => event.event === "step").map((event) => event.id)).toEqual(["1.1"]);
    expect(ending.at(-1)?.event).toBe("end");
    const status = ending.filter((event) => event.event === "task").at(-1);
    expect(JSON.parse(status?.data ?? "{}")).toMatchObject({ status: "cancelled" });
    expect(JSON.parse(status?.data ?? "{}").statusHtml).toContain("status-cancelled");
  });

  it("refuses a bad cursor with 400 and a stranger with 404", async () => {
    const { task } = await seedTask(server.db, "octo/app", { number: 5 });
    const bad = await fetch(`${server.url}/dashboard/tasks/${task.id}/events?after=nope`, {
      headers: { authorization: `Bearer ${READER.token}` },
    });
    expect(bad.status).toBe(400);
    const hidden = await seedTask(server.db, "other/secret", { number: 6 });
    const none = await fetch(`${server.url}/dashboard/tasks/${hidden.task.id}/events`, {
      headers: { authorization: `Bearer ${READER.token}` },
    });
    expect(none.status).toBe(404);
  });
});
