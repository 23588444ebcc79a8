import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSettings } from "../../src/config/settings.ts";
import { createLogger } from "../../src/logger.ts";
import { startQueue, type TaskQueue } from "../../src/store/queue.ts";
import { listSteps } from "../../src/store/steps.ts";
import { FINISHED_STATUSES, getTask, type Task } from "../../src/store/tasks.ts";
import { readTranscript } from "../../src/store/transcripts.ts";
import { createTaskHandlers, type TaskHandlerSet } from "../../src/tasks/handlers.ts";
import { startWorker, type Worker } from "../../src/worker/worker.ts";
import { repoRoot } from "../helpers/cli-process.ts";
import { bareRemoteFrom } from "../helpers/github-world.ts";
import { databaseKinds, openTestDatabase, type TestDatabase } from "../helpers/test-database.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { git, removeDir, tempDir } from "../workspace/helpers/git-repos.ts";

const transcript = (name: string) => path.join(repoRoot, "test/fixtures/transcripts", `${name}.jsonl`);

describe.each(databaseKinds)("submit task kind through a worker (%s)", (kind) => {
  let root: string;
  let remote: string;
  let db: TestDatabase;
  let queue: TaskQueue;
  let tasks: TaskHandlerSet;
  let worker: Worker;

  beforeAll(async () => {
    root = tempDir("submit");
    remote = bareRemoteFrom("sum", root);
    db = await openTestDatabase(kind);
    queue = await startQueue(db);
    const settings = loadSettings({ LOOPWRIGHT_DATA_DIR: path.join(root, "data"), LOG_LEVEL: "silent" });
    const log = createLogger(settings);
    tasks = await createTaskHandlers(settings, log);
    worker = await startWorker({ db, queue, handlers: tasks.handlers, log, cancelPollMs: 200 });
  });
  afterAll(async () => {
    await worker?.stop();
    await queue?.stop();
    await tasks?.close();
    await db?.dispose();
    removeDir(root);
  });

  async function submitAndWait(input: Record<string, unknown>): Promise<Task> {
    const { task } = await queue.submit({
      kind: "submit",
      repository: String(input.repo),
      trigger: "cli",
      input,
    });
    return waitFor(
      async () => {
        const current = await getTask(db, task.id);
        return current && FINISHED_STATUSES.includes(current.status) ? current : undefined;
      },
      60_000,
      `task ${task.id} to finish`,
    );
  }

  it("runs the agent on the default branch and pushes agent/run-<id> with the fix", async () => {
    const task = await submitAndWait({
      repo: remote,
      prompt: "Make sum add its arguments.",
      replay: transcript("fix-sum"),
    });
    const branch = `agent/run-${task.id}`;
    expect(task).toMatchObject({ status: "succeeded", error: null, attempt: 1 });
    expect(task.sideEffects).toMatchObject({
      branch,
      result: expect.stringMatching(new RegExp(`^pushed ${branch} \\([0-9a-f]{12}\\) to ${remote}$`)),
    });
    expect(git(remote, "show", `${branch}:sum.js`)).toContain("return a + b;");
    expect(git(remote, "log", "-1", "--format=%an%n%B", branch)).toBe(
      [
        "Loopwright",
        "Make sum add its arguments",
        "",
        "Fixed `sum` in sum.js to add its arguments; `node test.js` passes.",
        "",
        "Asked for: Make sum add its arguments.",
        "",
        `Loopwright task ${task.id}`,
      ].join("\n"),
    );
    expect(git(remote, "rev-parse", `${branch}~1`)).toBe(git(remote, "rev-parse", "main"));
    const kinds = (await listSteps(db, task.id)).map((step) => step.kind);
    expect(kinds[0]).toBe("workspace");
    expect(kinds).toContain("tool_call");
    expect(kinds.slice(-2)).toEqual(["final", "push"]);
    expect((await readTranscript(db, task.id, 1)).trim().split("\n")).toHaveLength(7);
    expect(task.tokens).toBeGreaterThan(0);
  }, 90_000);

  it("starts from a branch, a tag or a commit id given as ref", async () => {
    const main = git(remote, "rev-parse", "main");
    git(remote, "branch", "release", "main");
    git(remote, "tag", "-a", "-m", "v1", "v1.0.0", "main");
    for (const ref of ["release", "v1.0.0", main.slice(0, 10)]) {
      const task = await submitAndWait({
        repo: `file://${remote}`,
        ref,
        prompt: "Make sum add its arguments.",
        replay: transcript("fix-sum"),
      });
      expect(task.status, `${ref}: ${task.error}`).toBe("succeeded");
      const [workspace] = await listSteps(db, task.id);
      expect(workspace?.payload).toMatchObject({ baseSha: main });
      expect(git(remote, "show", `agent/run-${task.id}:sum.js`)).toContain("return a + b;");
    }
  }, 120_000);

  it("succeeds with 'nothing changed' and pushes nothing when the agent changes no file", async () => {
    const task = await submitAndWait({
      repo: remote,
      prompt: "Check sum.js.",
      replay: transcript("read-only"),
    });
    expect(task.status).toBe("succeeded");
    expect(task.sideEffects.result).toBe(
      "nothing changed: the agent finished without changing any file. Its answer: sum.js already looks right to me; I changed nothing.",
    );
    expect(git(remote, "branch", "--list", `agent/run-${task.id}`)).toBe("");
  }, 240_000);

  it("fails with a clear message on bad input, an unknown ref or a replay that runs out", async () => {
    const malformed = await submitAndWait({ repo: "relative/repo", prompt: " ", replay: "t.jsonl" });
    expect(malformed.status).toBe("failed");
    expect(malformed.error).toContain(`task ${malformed.id} has malformed input`);
    expect(malformed.error).toContain("neither a URL nor an absolute path");
    expect(malformed.error).toContain("the task text is empty");
    expect(malformed.error).toContain("the replay transcript must be an absolute path");

    const unknownRef = await submitAndWait({
      repo: remote,
      ref: "no-such-branch",
      prompt: "Fix it.",
      replay: transcript("fix-sum"),
    });
    expect(unknownRef).toMatchObject({
      status: "failed",
      error: `"no-such-branch" is neither a branch, a tag nor a commit id of ${remote}`,
    });

    const missingCommit = await submitAndWait({
      repo: remote,
      ref: "deadbeefdeadbeef",
      prompt: "Fix it.",
      replay: transcript("fix-sum"),
    });
    expect(missingCommit).toMatchObject({ status: "failed", error: expect.stringContaining("deadbeef") });

    const exhausted = await submitAndWait({
      repo: remote,
      prompt: "Fix it, and then some.",
      replay: transcript("endless"),
    });
    expect(exhausted).toMatchObject({
      status: "failed",
      error: expect.stringContaining("the transcript has 10 recorded turns"),
    });
  }, 90_000);
});
