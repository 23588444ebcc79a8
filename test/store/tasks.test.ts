import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordDelivery } from "../../src/store/deliveries.ts";
import { LANE_QUEUES, startQueue, type TaskQueue } from "../../src/store/queue.ts";
import { createStepRecorder, listSteps } from "../../src/store/steps.ts";
import {
  addTokens,
  cancelRequestedAmong,
  createTask,
  failUnfinishedTask,
  finishTask,
  getTask,
  listTasks,
  recordSideEffect,
  requestCancel,
  startAttempt,
} from "../../src/store/tasks.ts";
import { createTranscriptRecorder, readTranscript } from "../../src/store/transcripts.ts";
import { databaseKinds, openTestDatabase, type TestDatabase } from "../helpers/test-database.ts";

describe.each(databaseKinds)("tasks, steps and the queue (%s)", (kind) => {
  let db: TestDatabase;
  let queue: TaskQueue;
  beforeAll(async () => {
    db = await openTestDatabase(kind);
    queue = await startQueue(db);
  });
  afterAll(async () => {
    await queue?.stop();
    await db?.dispose();
  });

  it("creates exactly one task and one job from 20 concurrent copies of a delivery", async () => {
    const request = {
      kind: "fix",
      repository: "octo/redelivered",
      trigger: "comment",
      event: "issue_comment",
      deliveryId: "11111111-2222-3333-4444-555555555555",
      number: 7,
      requester: "octocat",
      installationId: 99,
      input: { instructions: "fix it" },
    };
    const results = await Promise.all(Array.from({ length: 20 }, () => queue.submit(request)));
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(new Set(results.map((result) => result.task.id)).size).toBe(1);
    const jobs = await queue.boss.findJobs(LANE_QUEUES.interactive, {
      data: { taskId: results[0]!.task.id },
    });
    expect(jobs).toHaveLength(1);
    expect(results[0]!.task).toMatchObject({
      kind: "fix",
      lane: "interactive",
      status: "queued",
      number: 7,
      installationId: 99,
      attempt: 0,
      input: { instructions: "fix it" },
    });
    // A redelivery later is the same task too.
    expect(await queue.submit(request)).toMatchObject({ created: false, task: { id: results[0]!.task.id } });
  });

  it("records deliveries once, and a stored delivery makes at most one task", async () => {
    expect(await recordDelivery(db, "delivery-stored-first", "issue_comment")).toBe(true);
    expect(await recordDelivery(db, "delivery-stored-first", "issue_comment")).toBe(false);
    const request = {
      kind: "fix",
      repository: "o/r",
      trigger: "comment",
      deliveryId: "delivery-stored-first",
    };
    const first = await createTask(db, request);
    expect(first.created).toBe(true);
    expect(await createTask(db, request)).toMatchObject({ created: false, task: { id: first.task.id } });
  });

  it("routes review work to the background lane", async () => {
    const { task } = await queue.submit({
      kind: "review",
      repository: "octo/lanes",
      trigger: "pull_request",
    });
    expect(task.lane).toBe("background");
    expect(await queue.boss.findJobs(LANE_QUEUES.background, { data: { taskId: task.id } })).toHaveLength(1);
  });

  it("runs attempts, fences finishing to the current attempt, and keeps side effects and tokens", async () => {
    const { task } = await createTask(db, { kind: "fix", repository: "octo/attempts", trigger: "label" });
    const first = await startAttempt(db, task.id, "w1");
    expect(first).toMatchObject({ status: "running", attempt: 1, worker: "w1" });
    await recordSideEffect(db, task.id, "progressCommentId", 123);
    await recordSideEffect(db, task.id, "branch", "agent/fix-7");
    await addTokens(db, task.id, 1500);
    await addTokens(db, task.id, 500);
    // The first worker dies; another claims the job again.
    const second = await startAttempt(db, task.id, "w2");
    expect(second).toMatchObject({
      attempt: 2,
      sideEffects: { progressCommentId: 123, branch: "agent/fix-7" },
    });
    expect(await finishTask(db, task.id, 1, { status: "succeeded" })).toBe(false);
    expect(await finishTask(db, task.id, 2, { status: "succeeded", prUrl: "https://x/pull/1" })).toBe(true);
    expect(await finishTask(db, task.id, 2, { status: "failed" })).toBe(false);
    expect(await getTask(db.reader, task.id)).toMatchObject({
      status: "succeeded",
      prUrl: "https://x/pull/1",
      tokens: 2000,
    });
    expect(await startAttempt(db, task.id, "w3")).toBeUndefined();
    await failUnfinishedTask(db, task.id, "lost");
    expect((await getTask(db, task.id))?.status).toBe("succeeded");
  });

  it("cancels a queued task at once and flags a running one", async () => {
    const queued = (await createTask(db, { kind: "fix", repository: "octo/cancel", trigger: "comment" }))
      .task;
    expect(await requestCancel(db, queued.id)).toMatchObject({ status: "cancelled", cancelRequested: true });
    expect(await startAttempt(db, queued.id, "w")).toBeUndefined();

    const running = (await createTask(db, { kind: "fix", repository: "octo/cancel", trigger: "comment" }))
      .task;
    await startAttempt(db, running.id, "w");
    expect(await cancelRequestedAmong(db, [running.id, queued.id])).toEqual([queued.id]);
    expect(await requestCancel(db, running.id)).toMatchObject({ status: "running", cancelRequested: true });
    expect((await cancelRequestedAmong(db, [running.id])).sort()).toEqual([running.id]);
    expect(await requestCancel(db, 987_654)).toBeUndefined();
    const listed = await listTasks(db.reader, { repository: "octo/cancel" });
    expect(listed.map((task) => task.id)).toEqual([running.id, queued.id]);
    expect(await listTasks(db.reader, { repository: "octo/cancel", status: "cancelled" })).toHaveLength(1);
  });

  it("writes steps in order across attempts, capped, and transcripts whole", async () => {
    const { task } = await createTask(db, { kind: "fix", repository: "octo/steps", trigger: "comment" });
    const attempt1 = createStepRecorder(db, task.id, 1);
    await Promise.all([
      attempt1.record({ kind: "model", payload: { n: 0 } }),
      attempt1.record({
        kind: "tool",
        payload: { output: `a\u0000${"x".repeat(100_000)}` },
        durationMs: 12.4,
      }),
    ]);
    const attempt2 = createStepRecorder(db, task.id, 2);
    await attempt2.record({ kind: "model", payload: { n: 2 } });
    const steps = await listSteps(db.reader, task.id);
    expect(steps.map((step) => [step.attempt, step.seq, step.kind])).toEqual([
      [1, 0, "model"],
      [1, 1, "tool"],
      [2, 0, "model"],
    ]);
    expect(steps[1]?.durationMs).toBe(12);
    expect(JSON.stringify(steps[1]?.payload).length).toBeLessThan(20_000);
    expect(await listSteps(db.reader, task.id, { attempt: 1, seq: 1 })).toHaveLength(1);

    const transcript = createTranscriptRecorder(db, task.id, 2);
    const turn = {
      output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text: "done" }] }],
    };
    await transcript.append(JSON.stringify({ turn: 0 }));
    await transcript.append(JSON.stringify(turn));
    expect(await readTranscript(db.reader, task.id)).toBe(
      `${JSON.stringify({ turn: 0 })}\n${JSON.stringify(turn)}\n`,
    );
    expect(await readTranscript(db.reader, task.id, 1)).toBe("");
  });
});
