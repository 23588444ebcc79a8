import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOfUtcDay } from "../../src/store/repository-tasks.ts";
import { listTaskPage, summarizeRepositories } from "../../src/store/task-history.ts";
import { addTokens, createTask } from "../../src/store/tasks.ts";
import { databaseKinds, openTestDatabase, type TestDatabase } from "../helpers/test-database.ts";

describe.each(databaseKinds)("task history (%s)", (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(kind);
    for (let index = 1; index <= 7; index += 1) {
      const { task } = await createTask(db, {
        kind: index % 2 === 0 ? "review" : "fix",
        repository: index <= 4 ? "octo/app" : "octo/lib",
        trigger: "comment",
        requester: index === 3 ? "rita" : "walt",
      });
      await addTokens(db, task.id, index * 100);
    }
  }, 120_000);
  afterAll(async () => {
    await db?.dispose();
  });

  it("pages newest first by id, with filters and the visible repositories", async () => {
    const first = await listTaskPage(db.reader, { limit: 3 });
    expect(first.tasks.map((task) => task.id)).toEqual([7, 6, 5]);
    expect(first.next).toBe(5);
    const second = await listTaskPage(db.reader, { limit: 3, before: first.next });
    expect(second.tasks.map((task) => task.id)).toEqual([4, 3, 2]);
    const last = await listTaskPage(db.reader, { limit: 3, before: second.next });
    expect(last.tasks.map((task) => task.id)).toEqual([1]);
    expect(last.next).toBeUndefined();

    expect(
      (await listTaskPage(db.reader, { limit: 50, kind: "review" })).tasks.map((task) => task.id),
    ).toEqual([6, 4, 2]);
    expect(
      (await listTaskPage(db.reader, { limit: 50, requester: "rita" })).tasks.map((task) => task.id),
    ).toEqual([3]);
    expect((await listTaskPage(db.reader, { limit: 50, status: "running" })).tasks).toEqual([]);
    const visible = await listTaskPage(db.reader, { limit: 50, visibleRepositories: ["octo/lib"] });
    expect(visible.tasks.map((task) => task.id)).toEqual([7, 6, 5]);
    expect((await listTaskPage(db.reader, { limit: 50, visibleRepositories: [] })).tasks).toEqual([]);
    const both = await listTaskPage(db.reader, {
      limit: 50,
      visibleRepositories: ["octo/lib"],
      repository: "octo/app",
    });
    expect(both.tasks).toEqual([]);
  });

  it("summarizes repositories: task counts and today's tokens", async () => {
    const rows = await summarizeRepositories(db.reader, undefined, startOfUtcDay(new Date()));
    expect(rows.map((row) => [row.repository, row.tasks, row.active, row.tokensToday])).toEqual([
      ["octo/lib", 3, 3, 1800],
      ["octo/app", 4, 4, 1000],
    ]);
    const tomorrow = new Date(Date.now() + 86_400_000);
    expect((await summarizeRepositories(db.reader, ["octo/app"], tomorrow))[0]?.tokensToday).toBe(0);
  });
});
