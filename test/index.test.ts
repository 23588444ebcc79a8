import { Writable } from "node:stream";
import nock from "nock";
import { pino } from "pino";
import type { Probot } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../src/index.ts";
import { testProbot } from "./helpers/probot.ts";
import { examplePayload } from "./helpers/webhook-examples.ts";

describe("app function", () => {
  let probot: Probot;
  let logLines: Record<string, unknown>[];

  beforeEach(() => {
    nock.disableNetConnect();
    logLines = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split("\n").filter(Boolean)) logLines.push(JSON.parse(line));
        done();
      },
    });
    probot = testProbot(pino(sink));
    probot.load(
      createApp({
        submitTask: async () => ({ taskId: 1, created: true }),
        cancelTasks: async () => 0,
        tokensToday: async () => 0,
      }),
    );
  });

  afterEach(() => {
    expect(nock.pendingMocks()).toEqual([]);
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("receives a ping without error", async () => {
    await probot.receive({ id: "ping-1", name: "ping", payload: examplePayload("ping") } as never);
    expect(logLines.filter((line) => (line.level as number) >= 50)).toEqual([]);
  });

  it("logs a new installation with its repositories", async () => {
    const payload = examplePayload("installation", "created");
    await probot.receive({ id: "install-1", name: "installation", payload } as never);
    const installed = logLines.find((line) => line.msg === "Loopwright installed");
    expect(installed).toMatchObject({ installation: (payload.installation as { id: number }).id });
    expect(installed?.repositories).toEqual(
      (payload.repositories as { full_name: string }[]).map((repo) => repo.full_name),
    );
  });
});
