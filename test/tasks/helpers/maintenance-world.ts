import path from "node:path";
import nock from "nock";
import { pino } from "pino";
import { afterEach, beforeEach, expect } from "vitest";
import type { ModelTurn } from "../../../src/agent/model.ts";
import { createReplayModel } from "../../../src/agent/models/replay.ts";
import { parseRepoConfig } from "../../../src/config/repo-config.ts";
import type { GitHubApp } from "../../../src/github/installation.ts";
import { startQueue, type TaskQueue } from "../../../src/store/queue.ts";
import { fireDueSchedules, startScheduleRun } from "../../../src/store/schedule-firing.ts";
import {
  findSchedule,
  recentRuns,
  type Schedule,
  type ScheduleRun,
  syncRepositorySchedules,
} from "../../../src/store/schedules.ts";
import { startAttempt, type TaskOutcome } from "../../../src/store/tasks.ts";
import { createMaintainHandler } from "../../../src/tasks/maintain.ts";
import { createTaskContext } from "../../../src/worker/worker.ts";
import { Workspaces } from "../../../src/workspace/workspace.ts";
import { testOctokit } from "../../github/octokit.ts";
import { bareRemoteFrom } from "../../helpers/github-world.ts";
import { openTestDatabase, type TestDatabase } from "../../helpers/test-database.ts";
import { removeDir, tempDir } from "../../workspace/helpers/git-repos.ts";
import { GitHubApiFake, OWNER, REPO } from "./github-api.ts";
import { BOT, INSTALLATION_TOKEN } from "./task-world.ts";

export const REPOSITORY = `${OWNER}/${REPO}`;
const REPO_PATH = `/repos/${OWNER}/${REPO}`;

type Issue = {
  number: number;
  title: string;
  body: string;
  state: string;
  user: { login: string; type: string };
};

/**
 * One repository with scheduled maintenance, for driving `maintain` tasks directly: a real PGlite
 * store and queue, real workspaces over a bare remote seeded from test/fixtures/repos/sum, the real
 * sandbox, and a nock-backed GitHub that also keeps issues (the dashboard) and labels.
 */
export type MaintenanceWorld = {
  root: string;
  remote: string;
  db: TestDatabase;
  queue: TaskQueue;
  github: GitHubApiFake;
  issues: Map<number, Issue>;
  /** Stores the repository's configuration (its `schedules` and `maintenance`), as a push would. */
  configure(raw: Record<string, unknown>, now?: Date): Promise<void>;
  schedule(name: string): Promise<Schedule>;
  /** Starts a run of a schedule and runs its task's handler with scripted model turns. */
  run(
    name: string,
    turns: ModelTurn[],
    options?: { trigger?: "schedule" | "run_now" | "command"; hourlyCap?: number },
  ): Promise<{ outcome: TaskOutcome; run: ScheduleRun }>;
  /**
   * The body of the one dashboard issue as people read it, markdown escapes removed (fails the test
   * unless there is exactly one).
   */
  dashboard(): string;
  close(): Promise<void>;
};

export async function openMaintenanceWorld(): Promise<MaintenanceWorld> {
  const root = tempDir("maintain");
  const remote = bareRemoteFrom("sum", root);
  const db = await openTestDatabase("pglite");
  const queue = await startQueue(db);
  const workspaces = await Workspaces.open({
    dataDir: path.join(root, "data"),
    cacheMaxBytes: 2 ** 30,
    spareTrees: 0,
  });
  const github = new GitHubApiFake().install();
  const issues = new Map<number, Issue>();
  github.route("GET", new RegExp(`^${REPO_PATH}/issues$`), () => [200, [...issues.values()]]);
  github.route("POST", new RegExp(`^${REPO_PATH}/issues$`), (_match, request) => {
    const { title, body } = request.body as { title: string; body: string };
    const issue = {
      number: 500 + issues.size,
      title,
      body,
      state: "open",
      user: { login: BOT.name, type: "Bot" },
    };
    issues.set(issue.number, issue);
    return [201, issue];
  });
  github.route("PATCH", new RegExp(`^${REPO_PATH}/issues/(\\d+)$`), (match, request) => {
    const issue = issues.get(Number(match[1]));
    if (!issue) return [404, { message: "Not Found" }];
    Object.assign(issue, request.body);
    return [200, issue];
  });
  github.route("POST", new RegExp(`^${REPO_PATH}/issues/(\\d+)/labels$`), (_match, request) => [
    200,
    (request.body as { labels: string[] }).labels.map((name) => ({ name })),
  ]);
  const log = pino({ level: process.env.TEST_LOG ?? "silent" });
  const app: GitHubApp = {
    async forInstallation() {
      return { octokit: testOctokit(), token: INSTALLATION_TOKEN };
    },
    async botIdentity() {
      return BOT;
    },
  };
  let clock = Date.now();
  const now = () => new Date(clock);

  const world: MaintenanceWorld = {
    root,
    remote,
    db,
    queue,
    github,
    issues,
    async configure(raw, at = now()) {
      const { config, problems } = parseRepoConfig(raw);
      expect(problems).toEqual([]);
      await syncRepositorySchedules(
        db,
        {
          repository: REPOSITORY,
          installationId: 1,
          defaultBranch: "main",
          cloneUrl: remote,
          config,
          problems,
        },
        at,
      );
    },
    async schedule(name) {
      const found = await findSchedule(db, REPOSITORY, name);
      if (!found) throw new Error(`no schedule ${name}`);
      return found;
    },
    async run(name, turns, options = {}) {
      // Each run is a moment later, so its slot is new.
      clock += 60_000;
      const schedule = await world.schedule(name);
      const trigger = options.trigger ?? "run_now";
      let taskId: number;
      if (trigger === "schedule") {
        // Due now: the scheduler fires it as it would at its time.
        await db.query("update loopwright.schedules set next_run_at = $2 where id = $1", [
          schedule.id,
          new Date(clock - 1_000),
        ]);
        expect(await fireDueSchedules({ db, queue }, now())).toBe(1);
        const fired = (await recentRuns(db, REPOSITORY, 1)).get(schedule.id)?.[0]?.taskId;
        if (!fired) throw new Error("the scheduler made no task");
        taskId = fired;
      } else {
        taskId = (await startScheduleRun({ db, queue }, schedule, trigger, `test:${clock}`, now())).taskId;
      }
      const task = await startAttempt(db, taskId, "test-worker");
      if (!task) throw new Error(`task ${taskId} cannot start`);
      const handler = createMaintainHandler({
        settings: { sandbox: "auto" },
        workspaces,
        log,
        github: app,
        createModel: () => createReplayModel(turns),
        db,
        installationHourlyCap: options.hourlyCap ?? 20,
        now,
      });
      const outcome = await handler(createTaskContext(db, task, new AbortController(), log));
      const runs = (await recentRuns(db, REPOSITORY, 1)).get(schedule.id) ?? [];
      const run = runs[0];
      if (!run) throw new Error("the run was not recorded");
      return { outcome, run };
    },
    dashboard() {
      const found = [...issues.values()];
      expect(found).toHaveLength(1);
      return (found[0]?.body ?? "").replace(/\\([!-/:-@[-`{-~])/g, "$1");
    },
    async close() {
      await workspaces.close();
      await queue.stop();
      await db.dispose();
      removeDir(root);
    },
  };
  return world;
}

/**
 * A fresh maintenance world for each test of the file; after each test, the fake GitHub must have
 * known every request.
 */
export function useMaintenanceWorld(): () => MaintenanceWorld {
  let world: MaintenanceWorld | undefined;
  beforeEach(async () => {
    world = await openMaintenanceWorld();
  });
  afterEach(async () => {
    expect(world?.github.unhandled).toEqual([]);
    nock.cleanAll();
    await world?.close();
    world = undefined;
  });
  return () => {
    if (!world) throw new Error("the maintenance world exists only inside a test");
    return world;
  };
}
