import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { createStepRecorder } from "../../src/store/steps.ts";
import { createTask, finishTask, startAttempt } from "../../src/store/tasks.ts";
import { cleanEnv, runCli } from "../helpers/cli-process.ts";

describe("loopwright tasks / task / worker", () => {
  it("lists tasks and shows one with its step log, and rejects bad usage clearly", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "lw-cli-"));
    const db = await openDatabase({ dataDir: path.join(dataDir, "db") });
    await migrate(db);
    const { task } = await createTask(db, {
      kind: "fix",
      repository: "octo/cli",
      number: 3,
      trigger: "comment",
    });
    await startAttempt(db, task.id, "w");
    await createStepRecorder(db, task.id, 1).record({
      kind: "tool_call",
      payload: { name: "shell" },
      durationMs: 5,
    });
    await finishTask(db, task.id, 1, { status: "failed", error: "tests still fail" });
    await db.close();
    const env = cleanEnv({ LOOPWRIGHT_DATA_DIR: dataDir, LOG_LEVEL: "silent" });

    const list = await runCli(["tasks"], { env });
    expect(list.code).toBe(0);
    expect(list.output).toMatch(/^\s+1\s+failed\s+fix .* octo\/cli#3 {2}tests still fail$/m);
    const json = await runCli(["tasks", "--status", "failed", "--json"], { env });
    expect(JSON.parse(json.output)).toMatchObject([{ id: 1, status: "failed" }]);
    const shown = await runCli(["task", "1"], { env });
    expect(shown.output).toMatch(/^ {2}1\.0\s+shell\s+5 ms$/m);

    expect((await runCli(["task", "7"], { env })).output).toContain("no task 7");
    const badStatus = await runCli(["tasks", "--status", "done"], { env });
    expect(badStatus.code).toBe(2);
    expect(badStatus.output).toContain("--status expects one of queued, running");
    expect((await runCli(["task", "abc"], { env })).output).toContain("ID must be a task number");
    const worker = await runCli(["worker"], { env });
    expect(worker.code).toBe(2);
    expect(worker.output).toContain("a separate worker needs DATABASE_URL");
  }, 300_000);
});
