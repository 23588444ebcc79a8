import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseRepoConfig } from "../../src/config/repo-config.ts";
import { startQueue, type TaskQueue } from "../../src/store/queue.ts";
import { fireDueSchedules, startScheduleRun } from "../../src/store/schedule-firing.ts";
import {
  findSchedule,
  forgetRepositories,
  listSchedules,
  recentRuns,
  setPaused,
  syncRepositorySchedules,
} from "../../src/store/schedules.ts";
import { databaseKinds, openTestDatabase, type TestDatabase } from "../helpers/test-database.ts";

const REPO = "octo/app";
const at = (iso: string) => new Date(iso);

function repoWith(schedules: unknown[]) {
  const { config, problems } = parseRepoConfig({ schedules });
  expect(problems).toEqual([]);
  return {
    repository: REPO,
    installationId: 7,
    defaultBranch: "main",
    cloneUrl: "https://github.com/octo/app.git",
    problems: [],
    config,
  };
}

describe.each(databaseKinds)("schedules (%s)", (kind) => {
  let db: TestDatabase;
  let queue: TaskQueue;
  beforeEach(async () => {
    db = await openTestDatabase(kind);
    queue = await startQueue(db);
  });
  afterEach(async () => {
    await queue.stop();
    await db.dispose();
  });

  const maintainTasks = async () =>
    (
      await db.query<{ id: number; trigger: string; input: { late: boolean } }>(
        "select id, trigger, input from loopwright.tasks where kind = 'maintain' order by id",
      )
    ).rows;

  it("syncs: adds with the first slot, keeps an unchanged slot, retimes a changed cron, removes a gone one", async () => {
    const sync = (schedules: unknown[], now: string) =>
      syncRepositorySchedules(db, repoWith(schedules), at(now));
    expect(
      await sync(
        [
          { name: "deps", cron: "0 4 * * 1", prompt: "update", timezone: "Europe/Berlin" },
          { name: "docs", cron: "0 6 * * *", prompt: "links" },
        ],
        "2026-11-30T10:00:00Z",
      ),
    ).toEqual({ added: ["deps", "docs"], changed: [], removed: [] });
    const deps = await findSchedule(db, REPO, "deps");
    expect(deps?.nextRunAt?.toISOString()).toBe("2026-12-07T03:00:00.000Z");
    expect(deps?.settings).toMatchObject({ timezone: "Europe/Berlin", prompt: "update" });
    await setPaused(db, deps?.id ?? 0, true, "paused by @ann");

    expect(
      await sync(
        [
          { name: "deps", cron: "0 4 * * 1", prompt: "update more", timezone: "Europe/Berlin" },
          { name: "flaky", every: "daily", prompt: "triage" },
        ],
        "2026-12-01T10:00:00Z",
      ),
    ).toEqual({ added: ["flaky"], changed: [], removed: ["docs"] });
    const kept = await findSchedule(db, REPO, "deps");
    expect(kept?.nextRunAt?.toISOString()).toBe("2026-12-07T03:00:00.000Z");
    expect(kept?.settings.prompt).toBe("update more");
    expect(kept?.paused).toBe(true);

    expect(
      await sync(
        [
          { name: "deps", cron: "0 5 * * *", prompt: "update more", timezone: "Europe/Berlin" },
          { name: "flaky", every: "daily", prompt: "triage", enabled: false },
        ],
        "2026-12-01T10:00:00Z",
      ),
    ).toEqual({ added: [], changed: ["deps"], removed: [] });
    const retimed = await findSchedule(db, REPO, "deps");
    expect(retimed?.nextRunAt?.toISOString()).toBe("2026-12-02T04:00:00.000Z");
    expect((await findSchedule(db, REPO, "flaky"))?.enabled).toBe(false);

    await forgetRepositories(db, [REPO]);
    expect(await listSchedules(db, REPO)).toEqual([]);
  });

  it("fires a due slot exactly once, however often and from however many ticks", async () => {
    await syncRepositorySchedules(
      db,
      repoWith([{ name: "deps", cron: "0 * * * *", prompt: "update" }]),
      at("2026-11-30T10:30:00Z"),
    );
    expect(await fireDueSchedules({ db, queue }, at("2026-11-30T10:59:59Z"))).toBe(0);
    const ticks = await Promise.all(
      Array.from({ length: 5 }, () => fireDueSchedules({ db, queue }, at("2026-11-30T11:00:01Z"))),
    );
    expect(ticks.reduce((sum, fired) => sum + fired, 0)).toBe(1);
    const tasks = await maintainTasks();
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ trigger: "schedule", input: { late: false } });
    const deps = await findSchedule(db, REPO, "deps");
    expect(deps?.nextRunAt?.toISOString()).toBe("2026-11-30T12:00:00.000Z");
    const runs = (await recentRuns(db, REPO, 5)).get(deps?.id ?? 0) ?? [];
    expect(runs.map((run) => [run.slot.toISOString(), run.taskId])).toEqual([
      ["2026-11-30T11:00:00.000Z", tasks[0]?.id],
    ]);
  });

  it("catches up once, marked late, after downtime spanning many slots", async () => {
    await syncRepositorySchedules(
      db,
      repoWith([{ name: "deps", cron: "0 * * * *", prompt: "update" }]),
      at("2026-11-30T00:30:00Z"),
    );
    expect(await fireDueSchedules({ db, queue }, at("2026-11-30T05:10:00Z"))).toBe(1);
    expect(await fireDueSchedules({ db, queue }, at("2026-11-30T05:20:00Z"))).toBe(0);
    const [task, ...more] = await maintainTasks();
    expect(more).toEqual([]);
    expect(task?.input.late).toBe(true);
    const deps = await findSchedule(db, REPO, "deps");
    expect(deps?.nextRunAt?.toISOString()).toBe("2026-11-30T06:00:00.000Z");
    const [run] = (await recentRuns(db, REPO, 5)).get(deps?.id ?? 0) ?? [];
    expect(run).toMatchObject({ late: true, slot: at("2026-11-30T05:00:00Z") });
  });

  it("does not fire paused or disabled schedules; a person's run starts once per event", async () => {
    await syncRepositorySchedules(
      db,
      repoWith([
        { name: "off", cron: "0 * * * *", prompt: "x", enabled: false },
        { name: "held", cron: "0 * * * *", prompt: "x" },
      ]),
      at("2026-11-30T00:30:00Z"),
    );
    const held = await findSchedule(db, REPO, "held");
    await setPaused(db, held?.id ?? 0, true, "paused by @ann");
    expect(await fireDueSchedules({ db, queue }, at("2026-11-30T05:10:00Z"))).toBe(0);

    const schedule = held ?? (await findSchedule(db, REPO, "held"));
    if (!schedule) throw new Error("no schedule");
    const first = await startScheduleRun(
      { db, queue },
      schedule,
      "command",
      "comment:5",
      at("2026-11-30T05:11:00Z"),
    );
    const again = await startScheduleRun(
      { db, queue },
      schedule,
      "command",
      "comment:5",
      at("2026-11-30T05:12:00Z"),
    );
    expect(first.created).toBe(true);
    expect(again).toEqual({ taskId: first.taskId, created: false });
    expect((await maintainTasks()).map((task) => task.trigger)).toEqual(["command"]);
    expect((await recentRuns(db, REPO, 5)).get(schedule.id)).toHaveLength(1);
  });
});
