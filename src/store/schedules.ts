import { parseRepoConfig, type RepoConfig, type ScheduleConfig } from "../config/repo-config.ts";
import { latestSlot, nextSlot, scheduleCron } from "../config/schedule-time.ts";
import type { Database, Queryable } from "./database.ts";

/** A repository with scheduled maintenance, as last read from its default branch. */
export type MaintainedRepository = {
  repository: string;
  installationId: number;
  defaultBranch: string;
  cloneUrl: string;
  config: RepoConfig;
  /** What was wrong in the file when it was read (bad keys were dropped), for the dashboard. */
  problems: string[];
  dashboardIssue: number | null;
};

/** One schedule of a repository, with the state of its one pull request. */
export type Schedule = {
  id: number;
  repository: string;
  installationId: number | null;
  name: string;
  /** The expression it runs on (for `every:`, the one derived with the repository's jitter). */
  cron: string;
  timezone: string;
  settings: ScheduleConfig;
  enabled: boolean;
  paused: boolean;
  pauseReason: string | null;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  /** The branch its pull request lives on (the configured one unless an older run chose another). */
  branch: string | null;
  /** The commit Loopwright last pushed to `branch`. */
  branchSha: string | null;
  /** False once Loopwright pushed on top of somebody else's commits: the branch is never replaced then. */
  branchOnlyOurs: boolean;
  prNumber: number | null;
  prUrl: string | null;
  /** `git patch-id` of the change in the open (or last) pull request. */
  patchId: string | null;
  /** Runs in a row whose pull requests were closed unmerged. */
  closedStreak: number;
  /** The patch id of the last pull request closed unmerged: the same change is not offered again. */
  closedPatchId: string | null;
};

export type RunTrigger = "schedule" | "run_now" | "command";
export type RunOutcome =
  | "pr_opened"
  | "pr_updated"
  | "noop"
  | "unchanged"
  | "skipped"
  | "failed"
  | "budget_exhausted"
  | "cancelled";

/** One fired slot of a schedule, and how its run ended (outcome null while it runs). */
export type ScheduleRun = {
  id: number;
  scheduleId: number;
  slot: Date;
  trigger: RunTrigger;
  late: boolean;
  taskId: number | null;
  outcome: RunOutcome | null;
  reason: string | null;
  prUrl: string | null;
  tokens: number;
  /** The task's own status and error: they tell how a run ended that never recorded its outcome (a crash). */
  taskStatus: string | null;
  taskError: string | null;
  createdAt: Date;
  finishedAt: Date | null;
};

type ScheduleRow = {
  id: number;
  repository: string;
  installation_id: string | number | null;
  name: string;
  cron: string;
  timezone: string;
  settings: ScheduleConfig;
  enabled: boolean;
  paused: boolean;
  pause_reason: string | null;
  next_run_at: Date | null;
  last_run_at: Date | null;
  branch: string | null;
  branch_sha: string | null;
  branch_only_ours: boolean;
  pr_number: number | null;
  pr_url: string | null;
  patch_id: string | null;
  closed_streak: number;
  closed_patch_id: string | null;
};

const toSchedule = (row: ScheduleRow): Schedule => ({
  id: row.id,
  repository: row.repository,
  installationId: row.installation_id === null ? null : Number(row.installation_id),
  name: row.name,
  cron: row.cron,
  timezone: row.timezone,
  settings: row.settings,
  enabled: row.enabled,
  paused: row.paused,
  pauseReason: row.pause_reason,
  nextRunAt: row.next_run_at,
  lastRunAt: row.last_run_at,
  branch: row.branch,
  branchSha: row.branch_sha,
  branchOnlyOurs: row.branch_only_ours,
  prNumber: row.pr_number,
  prUrl: row.pr_url,
  patchId: row.patch_id,
  closedStreak: row.closed_streak,
  closedPatchId: row.closed_patch_id,
});

const S = "loopwright.schedules";
const R = "loopwright.schedule_runs";
const M = "loopwright.maintained_repositories";

export type SyncResult = { added: string[]; changed: string[]; removed: string[] };

/**
 * Makes the stored schedules of a repository those of its configuration: new ones get their first
 * slot after `now`, a changed cron or time zone takes effect from its next slot, unchanged ones keep
 * theirs, removed ones are deleted (with their run history). Pauses are kept: they are not
 * configuration. Also stores the configuration itself, which the maintain tasks read, and its problems.
 *
 * @example
 * await syncRepositorySchedules(db, { repository: "o/r", installationId: 1, defaultBranch: "main",
 *   cloneUrl: "https://github.com/o/r.git", config }, new Date());
 */
export async function syncRepositorySchedules(
  db: Database,
  repo: Omit<MaintainedRepository, "dashboardIssue">,
  now: Date,
): Promise<SyncResult> {
  return db.transaction(async (tx) => {
    await tx.query(
      `insert into ${M} (repository, installation_id, default_branch, clone_url, config, problems, synced_at)
       values ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7)
       on conflict (repository) do update set installation_id = excluded.installation_id,
         default_branch = excluded.default_branch, clone_url = excluded.clone_url,
         config = excluded.config, problems = excluded.problems, synced_at = excluded.synced_at`,
      [
        repo.repository,
        repo.installationId,
        repo.defaultBranch,
        repo.cloneUrl,
        JSON.stringify(repo.config),
        JSON.stringify(repo.problems),
        now,
      ],
    );
    const { rows } = await tx.query<{ name: string; cron: string; timezone: string }>(
      `select name, cron, timezone from ${S} where repository = $1 for update`,
      [repo.repository],
    );
    const stored = new Map(rows.map((row) => [row.name, row]));
    const result: SyncResult = { added: [], changed: [], removed: [] };
    for (const schedule of repo.config.schedules) {
      const cron = scheduleCron(schedule, repo.repository);
      const timezone = schedule.timezone ?? "UTC";
      const before = stored.get(schedule.name);
      stored.delete(schedule.name);
      const retimed = !before || before.cron !== cron || before.timezone !== timezone;
      if (!before) result.added.push(schedule.name);
      else if (retimed) result.changed.push(schedule.name);
      await tx.query(
        `insert into ${S} (repository, installation_id, name, cron, timezone, prompt, settings, enabled, next_run_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10)
         on conflict (repository, name) do update set installation_id = excluded.installation_id,
           cron = excluded.cron, timezone = excluded.timezone, prompt = excluded.prompt,
           settings = excluded.settings, enabled = excluded.enabled, updated_at = excluded.updated_at,
           next_run_at = case when $11 then excluded.next_run_at else ${S}.next_run_at end`,
        [
          repo.repository,
          repo.installationId,
          schedule.name,
          cron,
          timezone,
          schedule.prompt,
          JSON.stringify(schedule),
          schedule.enabled ?? true,
          nextSlot(cron, timezone, now),
          now,
          retimed,
        ],
      );
    }
    result.removed = [...stored.keys()];
    if (result.removed.length > 0) {
      await tx.query(`delete from ${S} where repository = $1 and name = any($2::text[])`, [
        repo.repository,
        result.removed,
      ]);
    }
    return result;
  });
}

/**
 * Forgets repositories (the App was uninstalled from them): their schedules stop.
 *
 * @example
 * await forgetRepositories(db, ["o/r"]);
 */
export async function forgetRepositories(db: Queryable, repositories: readonly string[]): Promise<void> {
  if (repositories.length === 0) return;
  await db.query(`delete from ${S} where repository = any($1::text[])`, [repositories]);
  await db.query(`delete from ${M} where repository = any($1::text[])`, [repositories]);
}

/**
 * The stored configuration of a repository with schedules, or undefined.
 *
 * @example
 * const repo = await getMaintainedRepository(db, "o/r");
 */
export async function getMaintainedRepository(
  db: Queryable,
  repository: string,
): Promise<MaintainedRepository | undefined> {
  const { rows } = await db.query<{
    repository: string;
    installation_id: string | number;
    default_branch: string;
    clone_url: string;
    config: unknown;
    problems: string[];
    dashboard_issue: number | null;
  }>(`select * from ${M} where repository = $1`, [repository]);
  const row = rows[0];
  return (
    row && {
      repository: row.repository,
      installationId: Number(row.installation_id),
      defaultBranch: row.default_branch,
      cloneUrl: row.clone_url,
      config: parseRepoConfig(row.config).config,
      problems: row.problems,
      dashboardIssue: row.dashboard_issue,
    }
  );
}

/**
 * Remembers the number of a repository's dashboard issue.
 *
 * @example
 * await setDashboardIssue(db, "o/r", 12);
 */
export async function setDashboardIssue(db: Queryable, repository: string, issue: number): Promise<void> {
  await db.query(`update ${M} set dashboard_issue = $2 where repository = $1`, [repository, issue]);
}

/**
 * The schedules of a repository, by name.
 *
 * @example
 * const schedules = await listSchedules(db, "o/r");
 */
export async function listSchedules(db: Queryable, repository: string): Promise<Schedule[]> {
  const { rows } = await db.query<ScheduleRow>(`select * from ${S} where repository = $1 order by name`, [
    repository,
  ]);
  return rows.map(toSchedule);
}

/**
 * One schedule by id, or undefined (removed meanwhile).
 *
 * @example
 * const schedule = await getSchedule(db, 3);
 */
export async function getSchedule(db: Queryable, id: number): Promise<Schedule | undefined> {
  const { rows } = await db.query<ScheduleRow>(`select * from ${S} where id = $1`, [id]);
  return rows[0] && toSchedule(rows[0]);
}

/**
 * One schedule by repository and name, or undefined.
 *
 * @example
 * const deps = await findSchedule(db, "o/r", "deps");
 */
export async function findSchedule(
  db: Queryable,
  repository: string,
  name: string,
): Promise<Schedule | undefined> {
  const { rows } = await db.query<ScheduleRow>(`select * from ${S} where repository = $1 and name = $2`, [
    repository,
    name,
  ]);
  return rows[0] && toSchedule(rows[0]);
}

/** A slot the scheduler claimed: its schedule's next slot is moved on, its task and run row are still to be made. */
export type ClaimedSlot = {
  scheduleId: number;
  repository: string;
  installationId: number | null;
  name: string;
  slot: Date;
  late: boolean;
};

/**
 * Claims the due slots (at most `limit`): rows are locked `for update skip locked`, so concurrent
 * schedulers take disjoint schedules; each fires once for the latest slot it missed (a run after
 * downtime is marked late), and its next slot is set after `now` (one statement for all). Call inside a
 * transaction, and create the runs (`recordRuns`) and tasks in it too.
 *
 * @example
 * await db.transaction(async (tx) => { for (const slot of await claimDueSlots(tx, new Date(), 100, 60_000)) … });
 */
export async function claimDueSlots(
  tx: Queryable,
  now: Date,
  limit: number,
  lateAfterMs: number,
): Promise<ClaimedSlot[]> {
  const { rows } = await tx.query<{
    id: number;
    repository: string;
    installation_id: string | number | null;
    name: string;
    cron: string;
    timezone: string;
    next_run_at: Date;
  }>(
    `select id, repository, installation_id, name, cron, timezone, next_run_at from ${S}
     where enabled and not paused and next_run_at <= $1
     order by next_run_at limit $2 for update skip locked`,
    [now, limit],
  );
  if (rows.length === 0) return [];
  const claimed: (ClaimedSlot & { next: Date })[] = rows.map((row) => {
    // Usually only the stored slot is due; only after downtime is the latest missed one looked for.
    const following = nextSlot(row.cron, row.timezone, row.next_run_at);
    const slot = following > now ? row.next_run_at : latestSlot(row.cron, row.timezone, row.next_run_at, now);
    return {
      scheduleId: row.id,
      repository: row.repository,
      installationId: row.installation_id === null ? null : Number(row.installation_id),
      name: row.name,
      slot,
      late: now.getTime() - slot.getTime() > lateAfterMs,
      next: following > now ? following : nextSlot(row.cron, row.timezone, now),
    };
  });
  await tx.query(
    `update ${S} as schedule set next_run_at = moved.next_run_at, last_run_at = moved.slot
     from (select unnest($1::int[]) as id, unnest($2::timestamptz[]) as next_run_at,
       unnest($3::timestamptz[]) as slot) as moved
     where schedule.id = moved.id`,
    [
      claimed.map((slot) => slot.scheduleId),
      claimed.map((slot) => slot.next.toISOString()),
      claimed.map((slot) => slot.slot.toISOString()),
    ],
  );
  return claimed.map(({ next: _next, ...slot }) => slot);
}

/** A run row to record: which schedule, which slot, and the task doing it. */
export type NewRun = { scheduleId: number; slot: Date; trigger: RunTrigger; late: boolean; taskId: number };

/**
 * Records runs (one statement for all). A run whose schedule and slot already has one is left out,
 * and so is not returned: the caller then has a duplicate and must not keep its task.
 *
 * @example
 * const recorded = await recordRuns(tx, [{ scheduleId: 3, slot, trigger: "schedule", late: false, taskId: 41 }]);
 */
export async function recordRuns(tx: Queryable, runs: readonly NewRun[]): Promise<number[]> {
  if (runs.length === 0) return [];
  const { rows } = await tx.query<{ task_id: number }>(
    `insert into ${R} (schedule_id, slot, trigger, late, task_id)
     select * from unnest($1::int[], $2::timestamptz[], $3::text[], $4::boolean[], $5::int[])
     on conflict (schedule_id, slot) do nothing returning task_id`,
    [
      runs.map((run) => run.scheduleId),
      runs.map((run) => run.slot.toISOString()),
      runs.map((run) => run.trigger),
      runs.map((run) => run.late),
      runs.map((run) => run.taskId),
    ],
  );
  return rows.map((row) => row.task_id);
}

/**
 * The run a `maintain` task does.
 *
 * @example
 * const runId = await runOfTask(db, task.id);
 */
export async function runOfTask(db: Queryable, taskId: number): Promise<number | undefined> {
  const { rows } = await db.query<{ id: number }>(`select id from ${R} where task_id = $1`, [taskId]);
  return rows[0]?.id;
}

/**
 * How a run ended (the dashboard shows it).
 *
 * @example
 * await finishRun(db, runId, { outcome: "noop", reason: "every dependency is current" });
 */
export async function finishRun(
  db: Queryable,
  runId: number,
  ending: { outcome: RunOutcome; reason?: string | undefined; prUrl?: string | undefined },
): Promise<void> {
  await db.query(
    `update ${R} set outcome = $2, reason = $3, pr_url = $4, finished_at = now() where id = $1`,
    [runId, ending.outcome, ending.reason ?? null, ending.prUrl ?? null],
  );
}

/**
 * The latest runs of each of a repository's schedules (newest first), with the tokens their tasks used.
 *
 * @example
 * const runs = await recentRuns(db, "o/r", 3); // Map { 4 => [run, run, run] }
 */
export async function recentRuns(
  db: Queryable,
  repository: string,
  perSchedule: number,
): Promise<Map<number, ScheduleRun[]>> {
  const { rows } = await db.query<{
    id: number;
    schedule_id: number;
    slot: Date;
    trigger: RunTrigger;
    late: boolean;
    task_id: number | null;
    outcome: RunOutcome | null;
    reason: string | null;
    pr_url: string | null;
    tokens: string | number | null;
    task_status: string | null;
    task_error: string | null;
    created_at: Date;
    finished_at: Date | null;
  }>(
    `select run.*, task.tokens, task.status as task_status, task.error as task_error from ${S} as schedule
     cross join lateral (
       select * from ${R} where schedule_id = schedule.id order by id desc limit $2
     ) as run
     left join loopwright.tasks as task on task.id = run.task_id
     where schedule.repository = $1
     order by run.schedule_id, run.id desc`,
    [repository, perSchedule],
  );
  const runs = new Map<number, ScheduleRun[]>();
  for (const row of rows) {
    const list = runs.get(row.schedule_id) ?? [];
    list.push({
      id: row.id,
      scheduleId: row.schedule_id,
      slot: row.slot,
      trigger: row.trigger,
      late: row.late,
      taskId: row.task_id,
      outcome: row.outcome,
      reason: row.reason,
      prUrl: row.pr_url,
      tokens: Number(row.tokens ?? 0),
      taskStatus: row.task_status,
      taskError: row.task_error,
      createdAt: row.created_at,
      finishedAt: row.finished_at,
    });
    runs.set(row.schedule_id, list);
  }
  return runs;
}

/**
 * Makes `taskId` the one run working on a schedule, unless another task of it is still running (two
 * runs of one schedule would push to the same branch). True when this task holds it now.
 *
 * @example
 * if (!(await holdSchedule(db, schedule.id, task.id))) return skip("the previous run is still working");
 */
export async function holdSchedule(db: Queryable, scheduleId: number, taskId: number): Promise<boolean> {
  const { rows } = await db.query(
    `update ${S} set running_task_id = $2 where id = $1 and (running_task_id is null
       or running_task_id = $2
       or not exists (select 1 from loopwright.tasks where id = running_task_id and status = 'running'))
     returning id`,
    [scheduleId, taskId],
  );
  return rows.length === 1;
}

/**
 * Lets go of a schedule held by `holdSchedule`.
 *
 * @example
 * await releaseSchedule(db, schedule.id, task.id);
 */
export async function releaseSchedule(db: Queryable, scheduleId: number, taskId: number): Promise<void> {
  await db.query(`update ${S} set running_task_id = null where id = $1 and running_task_id = $2`, [
    scheduleId,
    taskId,
  ]);
}

/**
 * Pauses a schedule (with the reason the dashboard shows) or resumes it; resuming also forgets the
 * closed pull requests that paused it.
 *
 * @example
 * await setPaused(db, schedule.id, true, "paused by @ann");
 */
export async function setPaused(
  db: Queryable,
  scheduleId: number,
  paused: boolean,
  reason?: string,
): Promise<void> {
  await db.query(
    `update ${S} set paused = $2, pause_reason = $3,
       closed_streak = case when $2 then closed_streak else 0 end where id = $1`,
    [scheduleId, paused, paused ? (reason ?? null) : null],
  );
}

/** The pull request state of a schedule that a run changes. */
export type PullState = Partial<
  Pick<
    Schedule,
    | "branch"
    | "branchSha"
    | "branchOnlyOurs"
    | "prNumber"
    | "prUrl"
    | "patchId"
    | "closedStreak"
    | "closedPatchId"
  >
>;

const PULL_COLUMNS: Record<keyof PullState, string> = {
  branch: "branch",
  branchSha: "branch_sha",
  branchOnlyOurs: "branch_only_ours",
  prNumber: "pr_number",
  prUrl: "pr_url",
  patchId: "patch_id",
  closedStreak: "closed_streak",
  closedPatchId: "closed_patch_id",
};

/**
 * Updates what a schedule knows of its branch and pull request.
 *
 * @example
 * await updatePullState(db, schedule.id, { prNumber: 12, prUrl, branchSha: sha });
 */
export async function updatePullState(db: Queryable, scheduleId: number, state: PullState): Promise<void> {
  const entries = Object.entries(state) as [keyof PullState, unknown][];
  if (entries.length === 0) return;
  const sets = entries.map(([key], index) => `${PULL_COLUMNS[key]} = $${index + 2}`).join(", ");
  await db.query(`update ${S} set ${sets} where id = $1`, [scheduleId, ...entries.map(([, value]) => value)]);
}

/**
 * How many maintenance pull requests of a repository are open (as far as Loopwright knows), not
 * counting one schedule's own.
 *
 * @example
 * if ((await openMaintenancePulls(db, "o/r", schedule.id)) >= config.maintenance.max_open_prs) skip();
 */
export async function openMaintenancePulls(
  db: Queryable,
  repository: string,
  exceptScheduleId: number,
): Promise<number> {
  const { rows } = await db.query<{ count: string | number }>(
    `select count(*) as count from ${S} where repository = $1 and id <> $2 and pr_number is not null`,
    [repository, exceptScheduleId],
  );
  return Number(rows[0]?.count ?? 0);
}

/**
 * Runs of an installation's schedules that did work (not skipped) in the hour before `now`, not
 * counting `exceptRunId`: the hourly cap per installation.
 *
 * @example
 * const recent = await installationRunsLastHour(db, 1, new Date(), runId);
 */
export async function installationRunsLastHour(
  db: Queryable,
  installationId: number,
  now: Date,
  exceptRunId: number,
): Promise<number> {
  const { rows } = await db.query<{ count: string | number }>(
    `select count(*) as count from ${R} as run join ${S} as schedule on schedule.id = run.schedule_id
     where schedule.installation_id = $1 and run.created_at > $2 and run.id <> $3
       and (run.outcome is null or run.outcome <> 'skipped')`,
    [installationId, new Date(now.getTime() - 3_600_000), exceptRunId],
  );
  return Number(rows[0]?.count ?? 0);
}
