import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRepoConfig } from "../../src/config/repo-config.ts";
import { type Database, openDatabase } from "../../src/store/database.ts";
import { migrate } from "../../src/store/migrate.ts";
import { syncRepositorySchedules } from "../../src/store/schedules.ts";
import { createServerDatabase, serverUrl } from "../helpers/test-database.ts";
import { waitFor } from "../helpers/wait-for.ts";

const entry = path.join(import.meta.dirname, "fixtures/scheduler-process.ts");
const SCHEDULES = 40;

type SchedulerProcess = { child: ChildProcess; exited: Promise<number | null>; output: () => string };

function startSchedulerProcess(url: string, env: Record<string, string> = {}): SchedulerProcess {
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, DATABASE_URL: url, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, output: () => output };
}

const printed = (process: SchedulerProcess, word: string) =>
  waitFor(
    () =>
      process.output().includes(word) ||
      (process.child.exitCode !== null && Promise.reject(new Error(process.output()))),
    60_000,
    `a scheduler process to print ${word}`,
  );

describe.skipIf(!serverUrl)("scheduler processes (postgres)", () => {
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  let db: Database;
  const processes: SchedulerProcess[] = [];
  beforeAll(async () => {
    server = await createServerDatabase();
    db = await openDatabase({ url: server.url });
    await migrate(db);
  });
  afterAll(async () => {
    for (const scheduler of processes) scheduler.child.kill("SIGKILL");
    await Promise.all(processes.map((scheduler) => scheduler.exited));
    await db?.close();
    await server?.drop();
  });

  it("fires each due slot exactly once across three processes, one of them killed with SIGKILL mid-tick", async () => {
    for (let repo = 0; repo < SCHEDULES / 2; repo++) {
      const { config } = parseRepoConfig({
        schedules: [
          { name: "deps", cron: "0 * * * *", prompt: "update" },
          { name: "docs", cron: "30 * * * *", prompt: "links" },
        ],
      });
      await syncRepositorySchedules(
        db,
        {
          repository: `org/repo-${repo}`,
          installationId: 1,
          defaultBranch: "main",
          cloneUrl: "https://x/y.git",
          problems: [],
          config,
        },
        new Date(),
      );
    }
    // Every schedule is due now (its slot a minute ago).
    await db.query(
      "update loopwright.schedules set next_run_at = date_trunc('minute', now()) - interval '1 minute'",
    );

    const victim = startSchedulerProcess(server.url, { HANG_IN_TICK: "1" });
    processes.push(victim);
    await printed(victim, "claimed");
    // Its transaction holds the claimed rows: no other process may fire them meanwhile.
    victim.child.kill("SIGKILL");
    await victim.exited;

    const schedulers = [
      startSchedulerProcess(server.url),
      startSchedulerProcess(server.url),
      startSchedulerProcess(server.url),
    ];
    processes.push(...schedulers);
    await Promise.all(schedulers.map((scheduler) => printed(scheduler, "ready")));
    const count = async () =>
      Number(
        (await db.query<{ n: string }>("select count(*) as n from loopwright.tasks where kind = 'maintain'"))
          .rows[0]?.n,
      );
    await waitFor(async () => (await count()) >= SCHEDULES, 60_000, "every due schedule to fire");
    // Several more ticks of all three processes change nothing.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    expect(await count()).toBe(SCHEDULES);
    const { rows } = await db.query<{ schedule_id: number; runs: string; tasks: string }>(
      `select schedule_id, count(*) as runs, count(distinct task_id) as tasks
       from loopwright.schedule_runs group by schedule_id`,
    );
    expect(rows).toHaveLength(SCHEDULES);
    expect(rows.every((row) => Number(row.runs) === 1 && Number(row.tasks) === 1)).toBe(true);
    const jobs = await db.query<{ n: string }>(
      "select count(*) as n from pgboss.job where name = 'loopwright-background'",
    );
    expect(Number(jobs.rows[0]?.n)).toBe(SCHEDULES);
    const next = await db.query<{ n: string }>(
      "select count(*) as n from loopwright.schedules where next_run_at <= now()",
    );
    expect(Number(next.rows[0]?.n)).toBe(0);
  });
});
