import { describeCron } from "../config/schedule-time.ts";
import type { Database } from "../store/database.ts";
import {
  getMaintainedRepository,
  listSchedules,
  recentRuns,
  type Schedule,
  type ScheduleRun,
  setDashboardIssue,
} from "../store/schedules.ts";
import type { GitHubClient } from "./client.ts";
import { withGitHubErrors } from "./errors.ts";
import { escapeInline, marker } from "./markdown.ts";

export const DASHBOARD_TITLE = "Loopwright maintenance";
/** The hidden marker by which Loopwright finds its dashboard issue again. */
export const DASHBOARD_MARKER = marker("maintenance", "dashboard");
/** Runs of each schedule the dashboard lists. */
const RUNS_SHOWN = 5;

const utc = (date: Date) => `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;

const OUTCOME_WORDS: Record<NonNullable<ScheduleRun["outcome"]>, string> = {
  pr_opened: "✅ opened",
  pr_updated: "🔄 updated",
  noop: "💤 nothing to do",
  unchanged: "⏸️ no new change",
  skipped: "⏭️ skipped",
  failed: "❌ failed",
  budget_exhausted: "🪫 budget used up",
  cancelled: "⏹️ stopped",
};

const TRIGGER_WORDS: Record<ScheduleRun["trigger"], string> = {
  schedule: "",
  run_now: " (run now)",
  command: " (command)",
};

function runLine(run: ScheduleRun): string {
  const when = `${utc(run.slot)}${run.late ? " (late: the scheduler was down at its time)" : ""}${TRIGGER_WORDS[run.trigger]}`;
  // A run whose task ended without recording an outcome (its worker failed outright) shows the task's.
  const ended =
    run.outcome === null && run.taskStatus !== null && !["queued", "running"].includes(run.taskStatus);
  const outcome =
    run.outcome !== null
      ? OUTCOME_WORDS[run.outcome]
      : ended
        ? OUTCOME_WORDS.failed
        : "⏳ waiting or running";
  const link = run.prUrl ? ` [pull request](${run.prUrl})` : "";
  const why = run.reason ?? (ended ? run.taskError : null);
  const reason = why ? `: ${escapeInline(why.slice(0, 300))}` : "";
  const tokens = run.tokens > 0 ? run.tokens.toLocaleString("en-US") : "";
  return `| ${when} | ${outcome}${link}${reason} | ${tokens} |`;
}

function scheduleSection(schedule: Schedule, runs: ScheduleRun[], command: string): string[] {
  const status = !schedule.enabled
    ? "disabled in `.github/loopwright.yml` (`enabled: false`)"
    : schedule.paused
      ? `**paused**${schedule.pauseReason ? `: ${escapeInline(schedule.pauseReason)}` : ""}. Untick "Pause" to resume.`
      : `next run ${schedule.nextRunAt ? utc(schedule.nextRunAt) : "not planned"}`;
  const lines = [
    `### ${escapeInline(schedule.name)}`,
    "",
    `${escapeInline(describeCron(schedule.cron, schedule.timezone))} · ${status}`,
  ];
  if (schedule.prNumber !== null) lines.push("", `Open pull request: #${schedule.prNumber}`);
  lines.push(
    "",
    `- [ ] Run now ${marker("run-now", schedule.name)}`,
    `- [${schedule.paused ? "x" : " "}] Pause ${marker("pause", schedule.name)}`,
    "",
  );
  if (runs.length === 0) {
    lines.push(`No runs yet. \`${command} run ${schedule.name}\` in any issue starts one.`, "");
    return lines;
  }
  lines.push("| Run | Outcome | Tokens |", "| --- | --- | --- |", ...runs.map(runLine), "");
  return lines;
}

/**
 * The dashboard issue's body: per schedule its time in words and time zone, the next run or why none,
 * the open pull request, "Run now" and "Pause" checkboxes, and the last runs with their outcomes and
 * tokens.
 *
 * @example
 * renderDashboard({ schedules, runs, command: "/agent" });
 */
export function renderDashboard(input: {
  schedules: Schedule[];
  runs: Map<number, ScheduleRun[]>;
  command: string;
  /** What was wrong in `.github/loopwright.yml` when it was last read. */
  problems?: string[];
}): string {
  const lines = [
    DASHBOARD_MARKER,
    "Scheduled maintenance from `.github/loopwright.yml`. Tick **Run now** to start a run, **Pause** to stop a",
    "schedule until you untick it (people with write access only; other ticks are undone). Turn this issue",
    "off with `maintenance: { dashboard: false }`.",
    "",
  ];
  if (input.problems?.length) {
    lines.push(
      "**Problems in `.github/loopwright.yml`** (a schedule with a bad key is left out until it is fixed):",
      "",
      ...input.problems.map((problem) => `- ${escapeInline(problem)}`),
      "",
    );
  }
  if (input.schedules.length === 0) lines.push("No schedules are configured.");
  for (const schedule of input.schedules) {
    lines.push(...scheduleSection(schedule, input.runs.get(schedule.id) ?? [], input.command));
  }
  return lines.join("\n");
}

/** What a person ticked on the dashboard. */
export type DashboardTicks = { runNow: string[]; pause: Map<string, boolean> };

/**
 * Reads the checkboxes of an edited dashboard body: the schedules ticked "Run now", and each
 * schedule's "Pause" box.
 *
 * @example
 * parseDashboardTicks("- [x] Run now <!-- loopwright:run-now=deps -->"); // { runNow: ["deps"], pause: Map {} }
 */
export function parseDashboardTicks(body: string): DashboardTicks {
  const ticks: DashboardTicks = { runNow: [], pause: new Map() };
  for (const line of body.split(/\r?\n/)) {
    const match = /^\s*[-*] \[( |x|X)\] .*<!-- loopwright:(run-now|pause)=([\w.:@/-]+) -->/.exec(line);
    if (!match) continue;
    const ticked = match[1] !== " ";
    const name = match[3] ?? "";
    if (match[2] === "run-now" && ticked) ticks.runNow.push(name);
    if (match[2] === "pause") ticks.pause.set(name, ticked);
  }
  return ticks;
}

type Repo = { owner: string; repo: string };

async function findDashboardIssue(octokit: GitHubClient, target: Repo): Promise<number | undefined> {
  return withGitHubErrors("look for the maintenance dashboard issue", async () => {
    const pages = octokit.paginate.iterator(octokit.rest.issues.listForRepo, {
      ...target,
      state: "all",
      per_page: 100,
    });
    for await (const page of pages) {
      const found = page.data.find(
        (issue) =>
          issue.user?.type === "Bot" && !issue.pull_request && issue.body?.includes(DASHBOARD_MARKER),
      );
      if (found) return found.number;
    }
    return undefined;
  });
}

/**
 * Writes the repository's dashboard issue from the stored schedules and runs: edits the one issue in
 * place (found by its number, else by its marker, else created — under a per-repository lock, so
 * there is never a second). Does nothing for a repository without schedules or with the dashboard
 * turned off. Resolves to the issue number.
 *
 * @example
 * await publishDashboard({ db, octokit, repository: "o/r", now: new Date() });
 */
export async function publishDashboard(request: {
  db: Database;
  octokit: GitHubClient;
  repository: string;
  now: Date;
}): Promise<number | undefined> {
  const { db, octokit, repository } = request;
  const repo = await getMaintainedRepository(db, repository);
  if (!repo?.config.maintenance.dashboard) return undefined;
  const schedules = await listSchedules(db, repository);
  if (schedules.length === 0 && repo.dashboardIssue === null) return undefined;
  const body = renderDashboard({
    schedules,
    runs: await recentRuns(db, repository, RUNS_SHOWN),
    command: repo.config.fix.command,
    problems: repo.problems,
  });
  const [owner = "", name = ""] = repository.split("/");
  const target = { owner, repo: name };
  const edit = (number: number) =>
    withGitHubErrors(`update the maintenance dashboard #${number}`, () =>
      octokit.rest.issues.update({ ...target, issue_number: number, body }),
    );
  if (repo.dashboardIssue !== null) {
    try {
      await edit(repo.dashboardIssue);
      return repo.dashboardIssue;
    } catch (error) {
      // Deleted or transferred: a new one is made below.
      if (![404, 410].includes((error as { status?: number }).status ?? 0)) throw error;
    }
  }
  return db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock(hashtext($1))", [`dashboard:${repository}`]);
    const { rows } = await tx.query<{ dashboard_issue: number | null }>(
      "select dashboard_issue from loopwright.maintained_repositories where repository = $1",
      [repository],
    );
    const known = rows[0]?.dashboard_issue ?? null;
    const number =
      (known !== null && known !== repo.dashboardIssue ? known : undefined) ??
      (await findDashboardIssue(octokit, target));
    if (number !== undefined) {
      await edit(number);
    } else {
      const created = await withGitHubErrors("open the maintenance dashboard issue", () =>
        octokit.rest.issues.create({ ...target, title: DASHBOARD_TITLE, body }),
      );
      await setDashboardIssue(tx, repository, created.data.number);
      return created.data.number;
    }
    await setDashboardIssue(tx, repository, number);
    return number;
  });
}
