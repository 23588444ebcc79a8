import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LANE_QUEUES, type LimitedTask, startQueue, type TaskQueue } from "../../src/store/queue.ts";
import type { TaskLimits } from "../../src/store/task-limits.ts";
import {
  ActiveTaskError,
  createTask,
  finishTask,
  getTask,
  listTasks,
  startAttempt,
} from "../../src/store/tasks.ts";
import { databaseKinds, openTestDatabase, type TestDatabase } from "../helpers/test-database.ts";

const roomy: TaskLimits = { perRequesterPerHour: 100, perRepositoryPerHour: 100, perRequesterActive: 100 };

/** A comment's request to fix an issue, as the webhook handler submits it. */
function fixRequest(
  repository: string,
  commentId: number,
  overrides: Partial<LimitedTask> = {},
): LimitedTask {
  return {
    kind: "fix",
    repository,
    installationId: 99,
    number: 7,
    requester: "ann",
    trigger: "comment",
    event: "issue_comment",
    deliveryId: `delivery-${repository}-${commentId}-${Math.random()}`,
    eventKey: `comment:${repository}:${commentId}`,
    input: { instructions: "fix it" },
    limits: roomy,
    ...overrides,
  };
}

describe.each(databaseKinds)("submitting with admission checks (%s)", (kind) => {
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

  const jobsOf = (taskId: number) => queue.boss.findJobs(LANE_QUEUES.interactive, { data: { taskId } });
  const finish = async (taskId: number) => {
    const started = await startAttempt(db, taskId, "w");
    await finishTask(db, taskId, started!.attempt, { status: "succeeded" });
  };

  it("returns the existing task for the same comment redelivered under new delivery ids, one job in all", async () => {
    const first = await queue.submit(fixRequest("idem/app", 1, { deliveryId: "d-1" }));
    expect(first).toMatchObject({
      status: "accepted",
      created: true,
      task: { eventKey: "comment:idem/app:1" },
    });
    if (first.status !== "accepted") throw new Error("not accepted");
    const copies = await Promise.all(
      ["d-2", "d-3", "d-4"].map((deliveryId) => queue.submit(fixRequest("idem/app", 1, { deliveryId }))),
    );
    for (const copy of copies)
      expect(copy).toMatchObject({ status: "accepted", created: false, task: { id: first.task.id } });
    // The same delivery again, too; and after the task finished, the event still maps to it.
    expect(await queue.submit(fixRequest("idem/app", 1, { deliveryId: "d-1" }))).toMatchObject({
      status: "accepted",
      created: false,
    });
    await finish(first.task.id);
    expect(await queue.submit(fixRequest("idem/app", 1, { deliveryId: "d-5" }))).toMatchObject({
      status: "accepted",
      created: false,
      task: { id: first.task.id, status: "succeeded" },
    });
    expect(await jobsOf(first.task.id)).toHaveLength(1);
    expect(await listTasks(db, { repository: "idem/app" })).toHaveLength(1);
  });

  it("makes one task from 20 concurrent requests on one issue; the others are busy with its id", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => queue.submit(fixRequest("busy/app", 100 + index))),
    );
    const accepted = results.filter((result) => result.status === "accepted");
    expect(accepted).toHaveLength(1);
    const [winner] = accepted;
    if (winner?.status !== "accepted") throw new Error("no task");
    expect(winner.created).toBe(true);
    const busy = results.filter((result) => result.status === "busy");
    expect(busy).toHaveLength(19);
    for (const result of busy) expect(result).toEqual({ status: "busy", activeTaskId: winner.task.id });
    expect(await listTasks(db, { repository: "busy/app" })).toHaveLength(1);
    expect(await jobsOf(winner.task.id)).toHaveLength(1);

    // An iterate request on the same number is busy too; another issue is not.
    expect(await queue.submit(fixRequest("busy/app", 200, { kind: "iterate" }))).toEqual({
      status: "busy",
      activeTaskId: winner.task.id,
    });
    expect(await queue.submit(fixRequest("busy/app", 201, { number: 8 }))).toMatchObject({ created: true });
    // Once the task ends, the issue takes a new one.
    await finish(winner.task.id);
    expect(await queue.submit(fixRequest("busy/app", 202))).toMatchObject({
      status: "accepted",
      created: true,
    });
  });

  it("holds one unfinished task per issue in the database itself, for writers that skip the checks", async () => {
    const { task } = await createTask(db, fixRequest("index/app", 1));
    await expect(createTask(db, fixRequest("index/app", 2))).rejects.toThrow(ActiveTaskError);
    await expect(createTask(db, fixRequest("index/app", 2))).rejects.toMatchObject({ activeTaskId: task.id });
    // Other kinds and other issues are not held.
    await createTask(db, { kind: "review", repository: "index/app", number: 7, trigger: "pull_request" });
    await createTask(db, fixRequest("index/app", 3, { number: 8 }));
    expect(await queue.submit(fixRequest("index/app", 4))).toEqual({ status: "busy", activeTaskId: task.id });
  });

  it("refuses a requester's next task at per_requester_active, naming the unfinished ones", async () => {
    const limits = { ...roomy, perRequesterActive: 2 };
    const ids: number[] = [];
    for (const number of [1, 2]) {
      const result = await queue.submit(fixRequest("active/app", number, { number, limits }));
      if (result.status !== "accepted") throw new Error(`refused: ${JSON.stringify(result)}`);
      ids.push(result.task.id);
    }
    expect(await queue.submit(fixRequest("active/app", 3, { number: 3, limits }))).toEqual({
      status: "limited",
      refusal: { limit: "per_requester_active", max: 2, activeTaskIds: ids },
    });
    // Someone else may still ask; and once one task ends, so may the requester.
    expect(
      await queue.submit(fixRequest("active/app", 4, { number: 4, limits, requester: "bob" })),
    ).toMatchObject({ status: "accepted", created: true });
    await finish(ids[0]!);
    expect(await queue.submit(fixRequest("active/app", 5, { number: 5, limits }))).toMatchObject({
      status: "accepted",
      created: true,
    });
  });

  it("refuses at per_requester_per_hour and per_repository_per_hour, saying when the window frees up", async () => {
    const limits = { ...roomy, perRequesterPerHour: 2, perRepositoryPerHour: 3 };
    const created: Date[] = [];
    for (const number of [1, 2]) {
      const result = await queue.submit(fixRequest("hourly/app", number, { number, limits }));
      if (result.status !== "accepted") throw new Error(`refused: ${JSON.stringify(result)}`);
      created.push(result.task.createdAt);
      await finish(result.task.id);
    }
    const third = await queue.submit(fixRequest("hourly/app", 3, { number: 3, limits }));
    expect(third).toEqual({
      status: "limited",
      refusal: {
        limit: "per_requester_per_hour",
        max: 2,
        freesAt: new Date(created[0]!.getTime() + 3_600_000),
      },
    });
    expect(
      await queue.submit(fixRequest("hourly/app", 4, { number: 4, limits, requester: "bob" })),
    ).toMatchObject({ status: "accepted" });
    expect(
      await queue.submit(fixRequest("hourly/app", 5, { number: 5, limits, requester: "cy" })),
    ).toMatchObject({
      status: "limited",
      refusal: {
        limit: "per_repository_per_hour",
        max: 3,
        freesAt: new Date(created[0]!.getTime() + 3_600_000),
      },
    });
    // A redelivery of an accepted request is still the same task, not a refusal.
    expect(await queue.submit(fixRequest("hourly/app", 1, { number: 1, limits }))).toMatchObject({
      status: "accepted",
      created: false,
    });
  });

  it("lets exactly the limit through when a requester's requests race", async () => {
    const limits = { ...roomy, perRequesterPerHour: 3 };
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        queue.submit(fixRequest("race/app", index, { number: index + 1, limits })),
      ),
    );
    expect(results.filter((result) => result.status === "accepted")).toHaveLength(3);
    expect(results.filter((result) => result.status === "limited")).toHaveLength(9);
    expect(await listTasks(db, { repository: "race/app" })).toHaveLength(3);
  });

  it("keeps the event key with the task", async () => {
    const result = await queue.submit(fixRequest("key/app", 1, { eventKey: "review:77" }));
    if (result.status !== "accepted") throw new Error("refused");
    expect((await getTask(db, result.task.id))?.eventKey).toBe("review:77");
  });
});
