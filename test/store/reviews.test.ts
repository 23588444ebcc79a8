import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  dismissFinding,
  listFindings,
  type NewFinding,
  recordReview,
  reviewPullState,
  setReviewPaused,
  supersedeReviews,
  supersedingTask,
} from "../../src/store/reviews.ts";
import { createTask, getTask, startAttempt } from "../../src/store/tasks.ts";
import { databaseKinds, openTestDatabase, type TestDatabase } from "../helpers/test-database.ts";

const finding = (ordinal: number, fingerprint: string, commentId: number | null = null): NewFinding => ({
  ordinal,
  fingerprint,
  title: `finding ${fingerprint}`,
  body: "why",
  priority: "P1",
  confidence: 0.75,
  path: "a.ts",
  startLine: 3,
  endLine: 4,
  side: "RIGHT",
  code: ["const a = 1;", "return a;"],
  firstSha: "1".repeat(40),
  commentId,
  reproduced: true,
});

describe.each(databaseKinds)("review memory (%s)", (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it("remembers findings, their statuses and the reviewed head across reviews", async () => {
    const { task } = await createTask(db, {
      kind: "review",
      repository: "o/mem",
      number: 1,
      trigger: "pull_request",
    });
    const base = {
      repository: "o/mem",
      number: 1,
      taskId: task.id,
      seen: [],
      fixed: [],
      dismissed: [],
    };
    const [first, second] = await recordReview(db, {
      ...base,
      headSha: "a".repeat(40),
      added: [finding(1, "f1", 900), finding(2, "f2")],
      summaryCommentId: 77,
    });
    expect(first).toMatchObject({
      ordinal: 1,
      status: "open",
      commentId: 900,
      code: ["const a = 1;", "return a;"],
    });
    expect(await reviewPullState(db, "o/mem", 1)).toEqual({
      paused: false,
      lastReviewedSha: "a".repeat(40),
      summaryCommentId: 77,
    });

    await recordReview(db, {
      ...base,
      headSha: "b".repeat(40),
      added: [],
      seen: [second?.id ?? 0],
      fixed: [first?.id ?? 0],
      summaryCommentId: null,
    });
    const stored = await listFindings(db, "o/mem", 1);
    expect(
      stored.map((entry) => [entry.ordinal, entry.status, entry.fixedSha?.[0], entry.lastSeenSha[0]]),
    ).toEqual([
      [1, "fixed", "b", "a"],
      [2, "open", undefined, "b"],
    ]);
    expect((await reviewPullState(db, "o/mem", 1)).summaryCommentId).toBe(77);

    expect(await dismissFinding(db, "o/mem", 1, { commentId: 900 }, "ann")).toMatchObject({
      ordinal: 1,
      status: "dismissed",
    });
    expect(await dismissFinding(db, "o/mem", 1, { ordinal: 2 }, "bob")).toMatchObject({ dismissedBy: "bob" });
    expect(await dismissFinding(db, "o/mem", 1, { ordinal: 9 }, "bob")).toBeUndefined();
  });

  it("numbers a finding after the others when a racing review took its number", async () => {
    const { task } = await createTask(db, {
      kind: "review",
      repository: "o/race",
      number: 1,
      trigger: "pull_request",
    });
    const record = {
      repository: "o/race",
      number: 1,
      taskId: task.id,
      headSha: "a".repeat(40),
      seen: [],
      fixed: [],
      dismissed: [],
      summaryCommentId: null,
    };
    await recordReview(db, { ...record, added: [finding(1, "first")] });
    const [second] = await recordReview(db, { ...record, added: [finding(1, "second")] });
    expect(second?.ordinal).toBe(2);
  });

  it("pauses and resumes a pull request", async () => {
    await setReviewPaused(db, "o/mem", 2, true);
    expect((await reviewPullState(db, "o/mem", 2)).paused).toBe(true);
    await setReviewPaused(db, "o/mem", 2, false);
    expect((await reviewPullState(db, "o/mem", 2)).paused).toBe(false);
  });

  it("supersedes the unfinished reviews of a pull request: queued ones end at once, running ones are asked to stop", async () => {
    const request = { kind: "review", repository: "o/sup", number: 3, trigger: "pull_request" };
    const { task: running } = await createTask(db, request);
    await startAttempt(db, running.id, "w");
    const { task: queued } = await createTask(db, request);
    const { task: other } = await createTask(db, { ...request, number: 4 });
    const { task: newest } = await createTask(db, request);
    expect((await supersedeReviews(db, "o/sup", 3, newest.id)).sort()).toEqual(
      [running.id, queued.id].sort(),
    );
    expect(await getTask(db, queued.id)).toMatchObject({
      status: "cancelled",
      error: `superseded by task ${newest.id}`,
    });
    expect(await getTask(db, running.id)).toMatchObject({ status: "running", cancelRequested: true });
    expect(await getTask(db, other.id)).toMatchObject({ status: "queued", cancelRequested: false });
    expect(await supersedingTask(db, running.id)).toBe(newest.id);
    expect(await supersedingTask(db, newest.id)).toBeUndefined();
  });
});
