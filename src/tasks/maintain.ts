import { z } from "zod";
import { isNoop, noopTool } from "../agent/tools/noop.ts";
import type { RepoConfig } from "../config/repo-config.ts";
import type { GitHubClient } from "../github/client.ts";
import { withGitHubErrors } from "../github/errors.ts";
import { publishDashboard } from "../github/maintenance-dashboard.ts";
import { marker } from "../github/markdown.ts";
import { renderPullRequestBody } from "../github/pull-request-body.ts";
import { requestReview, upsertPullRequest } from "../github/pull-requests.ts";
import { wrapUntrusted } from "../github/sanitize.ts";
import type { Logger } from "../logger.ts";
import type { Database } from "../store/database.ts";
import {
  finishRun,
  getMaintainedRepository,
  getSchedule,
  holdSchedule,
  installationRunsLastHour,
  type MaintainedRepository,
  openMaintenancePulls,
  type PullState,
  type RunOutcome,
  releaseSchedule,
  runOfTask,
  type Schedule,
  setPaused,
  updatePullState,
} from "../store/schedules.ts";
import type { TaskOutcome } from "../store/tasks.ts";
import { stoppedOutcome, type TaskContext, type TaskHandler, taskStop } from "../worker/task-handler.ts";
import { remoteBranchSha, workspacePatchId } from "../workspace/change-identity.ts";
import { runAgentSession, sessionLimits } from "./agent-session.ts";
import { describeFailure, type GitHubTaskDependencies, summarizeSession } from "./github-task.ts";
import { firstLine } from "./task-text.ts";

export type MaintainDependencies = GitHubTaskDependencies & {
  db: Database;
  /** Runs of one installation's schedules that may do work in an hour; more are skipped. */
  installationHourlyCap: number;
  now?: () => Date;
};

const inputSchema = z.object({ scheduleId: z.number().int() });

/** How a run ended, for its run row, the dashboard and the task. */
type Ending = { outcome: RunOutcome; reason?: string; prUrl?: string; task: TaskOutcome };

const skipped = (reason: string): Ending => ({ outcome: "skipped", reason, task: { status: "succeeded" } });

/** The branch a schedule's pull request lives on by default: `<fix.branch_prefix>maintain-<name>`. */
export function scheduleBranch(schedule: Pick<Schedule, "name" | "settings">, config: RepoConfig): string {
  const prefix = config.fix.branch_prefix;
  const branch = schedule.settings.branch ?? `maintain-${schedule.name}`;
  return branch.startsWith(prefix) ? branch : `${prefix}${branch}`;
}

/**
 * How this run's change reaches the schedule's branch:
 * - `replace`: the branch is absent, or is exactly at the commit Loopwright last pushed and holds only
 *   Loopwright's commits — the new result, on the current default branch, replaces it (the push leases
 *   that commit, so a push by anybody meanwhile makes it fail instead of being lost);
 * - `on-top`: somebody else pushed to the open pull request's branch — new commits go on top, never forced;
 * - a refusal: the branch holds commits Loopwright did not push and there is no open pull request to add to.
 *
 * @example
 * branchPlan({ remoteSha: undefined, schedule, pullOpen: false }); // { mode: "replace", lease: undefined }
 */
export function branchPlan(request: {
  remoteSha: string | undefined;
  schedule: Pick<Schedule, "branchSha" | "branchOnlyOurs">;
  pullOpen: boolean;
  branch: string;
}): { mode: "replace"; lease: string | undefined } | { mode: "on-top" } | { refused: string } {
  const { remoteSha, schedule } = request;
  if (remoteSha === undefined) return { mode: "replace", lease: undefined };
  if (remoteSha === schedule.branchSha && schedule.branchOnlyOurs)
    return { mode: "replace", lease: remoteSha };
  if (request.pullOpen) return { mode: "on-top" };
  return {
    refused: `branch ${request.branch} holds commits Loopwright did not push, and no pull request of this schedule is open; delete the branch or give the schedule another branch`,
  };
}

/** The pull request's state on GitHub, folded into what the schedule knows (closed unmerged counts). */
async function refreshPullState(
  octokit: GitHubClient,
  repo: MaintainedRepository,
  schedule: Schedule,
): Promise<{ open: boolean; state: PullState }> {
  if (schedule.prNumber === null) return { open: false, state: {} };
  const [owner = "", name = ""] = repo.repository.split("/");
  const pull = await withGitHubErrors(`read pull request #${schedule.prNumber}`, async () => {
    const { data } = await octokit.rest.pulls.get({ owner, repo: name, pull_number: schedule.prNumber ?? 0 });
    return data;
  });
  if (pull.state === "open") return { open: true, state: {} };
  if (pull.merged) return { open: false, state: { prNumber: null, closedStreak: 0 } };
  return {
    open: false,
    state: { prNumber: null, closedStreak: schedule.closedStreak + 1, closedPatchId: schedule.patchId },
  };
}

function maintainPrompt(schedule: Schedule, repo: MaintainedRepository, onTop: boolean): string {
  return [
    `Scheduled maintenance task "${schedule.name}" for the GitHub repository ${repo.repository}.`,
    "",
    wrapUntrusted("the task, as configured in .github/loopwright.yml", schedule.settings.prompt),
    "",
    onTop
      ? "The branch checked out is this task's open pull request, to which people have pushed too; build on it."
      : `The working tree is the head of ${repo.defaultBranch}.`,
    "Work in the repository checked out in your working directory and keep the change focused on the task;",
    "run the relevant tests before you finish. Do not commit, push, or switch branches: Loopwright does that.",
    "When there is nothing to do, call the `noop` tool with the reason instead of changing anything;",
    "otherwise finish with a short summary for the maintainers: what you changed and how you verified it.",
  ].join("\n");
}

async function maintain(
  deps: MaintainDependencies,
  context: TaskContext,
  schedule: Schedule,
  repo: MaintainedRepository,
  runId: number,
): Promise<Ending> {
  const { db } = deps;
  const { task } = context;
  const now = deps.now?.() ?? new Date();
  const { config } = repo;
  const scheduled = task.trigger === "schedule";
  const { octokit, token } = await deps.github.forInstallation(repo.installationId);

  const pull = await refreshPullState(octokit, repo, schedule);
  await updatePullState(db, schedule.id, pull.state);
  const streak = pull.state.closedStreak ?? schedule.closedStreak;
  if (config.maintenance.pause_after > 0 && streak >= config.maintenance.pause_after && scheduled) {
    const reason = `paused after ${streak} pull requests in a row were closed without merging`;
    await setPaused(db, schedule.id, true, reason);
    return skipped(
      `${reason}; untick "pause" on the dashboard (or \`${config.fix.command} run ${schedule.name}\`) to resume`,
    );
  }
  if (!pull.open) {
    const open = await openMaintenancePulls(db, repo.repository, schedule.id);
    if (open >= config.maintenance.max_open_prs) {
      return skipped(
        `${open} maintenance pull requests are open already (maintenance.max_open_prs is ${config.maintenance.max_open_prs})`,
      );
    }
  }
  const recent = await installationRunsLastHour(db, repo.installationId, now, runId);
  if (recent >= deps.installationHourlyCap) {
    return skipped(
      `this installation ran ${recent} maintenance tasks in the last hour (the server allows ${deps.installationHourlyCap})`,
    );
  }
  await context.enforceDailyTokenBudget(config.budget.daily_tokens);
  if (context.signal.aborted) throw context.signal.reason;

  // The open pull request keeps its branch; otherwise the configured one (it may have changed).
  const branch = pull.open && schedule.branch ? schedule.branch : scheduleBranch(schedule, config);
  const remoteSha = await remoteBranchSha(repo.cloneUrl, branch, {
    token,
    signal: context.signal,
    repository: repo.repository,
  });
  const plan = branchPlan({ remoteSha, schedule, pullOpen: pull.open, branch });
  if ("refused" in plan) return skipped(plan.refused);
  const onTop = plan.mode === "on-top";

  const limits = sessionLimits(config);
  const settings = schedule.settings;
  const closedPatchId = pull.state.closedPatchId ?? schedule.closedPatchId;
  let patchId: string | undefined;
  const author = await deps.github.botIdentity(octokit);
  const session = await runAgentSession(deps, context, {
    workspace: {
      url: repo.cloneUrl,
      token,
      target: onTop ? { kind: "branch", name: branch } : { kind: "default" },
      branch,
      branchPrefix: config.fix.branch_prefix,
      defaultBranch: repo.defaultBranch,
    },
    model: deps.createModel(config),
    prompt: maintainPrompt(schedule, repo, onTop),
    sandbox: {
      ...limits.sandbox,
      ...(settings.network !== undefined && { network: settings.network }),
      ...(settings.setup !== undefined && { setup: settings.setup || null }),
    },
    budget: {
      ...limits.budget,
      ...(settings.budget?.max_steps && { maxSteps: settings.budget.max_steps }),
      ...(settings.budget?.max_tokens && { maxTotalTokens: settings.budget.max_tokens }),
    },
    commit: {
      message: (agent) =>
        `${schedule.name}: ${firstLine(agent.message, 60)}\n\n${firstLine(agent.message, 400)}\n`,
      author,
      coAuthors: [],
    },
    token,
    branchPolicy: onTop ? "existing" : "replace",
    ...(plan.mode === "replace" && plan.lease !== undefined && { lease: plan.lease }),
    extraTools: [noopTool],
    keepChanges: (agent) => !isNoop(agent.result),
    beforePush: onTop
      ? undefined
      : async (workspace) => {
          patchId = await workspacePatchId(workspace, context.signal);
          if (pull.open && patchId === schedule.patchId) {
            return `the open pull request ${schedule.prUrl ?? ""} already has this change`;
          }
          if (!pull.open && patchId === closedPatchId) {
            return "the same change as the last pull request, which was closed without merging; nothing opened";
          }
          return undefined;
        },
  });

  const { agent, change } = session;
  if (agent.outcome === "aborted") {
    const stop = taskStop(context.signal);
    if (!stop) throw context.signal.reason;
    const outcome = stoppedOutcome(stop, agent.message);
    return {
      outcome: outcome.status === "budget_exhausted" ? "budget_exhausted" : "cancelled",
      reason: outcome.error,
      task: outcome,
    };
  }
  if (agent.outcome === "budget_exhausted") {
    return {
      outcome: "budget_exhausted",
      reason: agent.message,
      task: { status: "budget_exhausted", error: agent.message },
    };
  }
  if (agent.outcome !== "completed") {
    return { outcome: "failed", reason: agent.message, task: { status: "failed", error: agent.message } };
  }
  if (isNoop(agent.result))
    return { outcome: "noop", reason: agent.result.reason, task: { status: "succeeded" } };
  if (change.status === "withheld")
    return { outcome: "unchanged", reason: change.reason, task: { status: "succeeded" } };
  if (change.status !== "pushed") {
    return { outcome: "noop", reason: firstLine(agent.message, 400), task: { status: "succeeded" } };
  }

  await updatePullState(db, schedule.id, {
    branch: change.branch,
    branchSha: change.sha,
    branchOnlyOurs: !onTop,
    patchId: onTop ? null : (patchId ?? null),
  });
  const [owner = "", name = ""] = repo.repository.split("/");
  const summary = summarizeSession(session, change.files);
  const body = [
    `Scheduled maintenance **${schedule.name}** (\`.github/loopwright.yml\`). ${marker("schedule", schedule.name)}`,
    "",
    renderPullRequestBody({
      taskId: String(task.id),
      requester: owner,
      command: config.fix.command,
      result: summary,
    }),
  ].join("\n");
  const opened = await upsertPullRequest(
    octokit,
    { owner, repo: name },
    {
      head: change.branch,
      base: repo.defaultBranch,
      title: `${schedule.name}: ${firstLine(summary.summary, 200)}`,
      body,
      draft: config.fix.draft,
    },
  );
  await updatePullState(db, schedule.id, { prNumber: opened.number, prUrl: opened.url });
  if (opened.created) {
    if (settings.labels?.length) {
      await withGitHubErrors(`label pull request #${opened.number}`, () =>
        octokit.rest.issues.addLabels({
          owner,
          repo: name,
          issue_number: opened.number,
          labels: settings.labels ?? [],
        }),
      );
    }
    for (const reviewer of settings.reviewers ?? []) {
      await requestReview(octokit, { owner, repo: name }, opened.number, reviewer);
    }
  }
  await context.recordSideEffect("pullRequest", opened.url);
  return {
    outcome: opened.created ? "pr_opened" : "pr_updated",
    reason: firstLine(summary.summary, 280),
    prUrl: opened.url,
    task: { status: "succeeded", prUrl: opened.url },
  };
}

/**
 * The `maintain` task kind: one run of a repository's schedule. It checks the caps and the schedule's
 * pull request, runs the agent with the schedule's prompt (and a `noop` tool for "nothing to do"),
 * brings the change to the schedule's one pull request (see `branchPlan`), records how the run ended
 * and updates the repository's dashboard issue. Every ending — including failures — lands in the run
 * row and on the dashboard, never in a new issue.
 *
 * @example
 * handlers.set("maintain", createMaintainHandler({ ...deps, db, installationHourlyCap: 20 }));
 */
export function createMaintainHandler(deps: MaintainDependencies): TaskHandler {
  return async (context) => {
    const { task, log } = context;
    const parsed = inputSchema.safeParse(task.input);
    if (!parsed.success) {
      return {
        status: "failed",
        error: `task ${task.id} has malformed input:\n${z.prettifyError(parsed.error)}`,
      };
    }
    const { scheduleId } = parsed.data;
    const runId = await runOfTask(deps.db, task.id);
    if (runId === undefined) return { status: "failed", error: `task ${task.id} has no schedule run` };
    const schedule = await getSchedule(deps.db, scheduleId);
    const repo = schedule && (await getMaintainedRepository(deps.db, schedule.repository));
    if (!schedule || !repo) {
      log.info({ scheduleId }, "maintain: the schedule was removed before it ran");
      await finishRun(deps.db, runId, { outcome: "skipped", reason: "the schedule was removed" });
      return { status: "succeeded" };
    }
    let ending: Ending;
    if (!(await holdSchedule(deps.db, schedule.id, task.id))) {
      ending = skipped("the previous run of this schedule is still working");
    } else {
      try {
        ending = await maintain(deps, context, schedule, repo, runId);
      } catch (error) {
        const stop = taskStop(context.signal);
        if (!stop && context.signal.aborted) {
          await releaseSchedule(deps.db, schedule.id, task.id);
          throw error;
        }
        const outcome = stop ? stoppedOutcome(stop, "stopped on request") : undefined;
        const reason = outcome?.error ?? describeFailure(error);
        ending = {
          outcome:
            outcome?.status === "budget_exhausted" ? "budget_exhausted" : outcome ? "cancelled" : "failed",
          reason,
          task: outcome ?? { status: "failed", error: reason },
        };
      }
      await releaseSchedule(deps.db, schedule.id, task.id);
    }
    await finishRun(deps.db, runId, ending);
    log.info(
      { schedule: schedule.name, outcome: ending.outcome, reason: ending.reason },
      "maintain: run ended",
    );
    await refreshDashboard(deps, repo, log);
    return ending.task;
  };
}

async function refreshDashboard(deps: MaintainDependencies, repo: MaintainedRepository, log: Logger) {
  if (!repo.config.maintenance.dashboard) return;
  try {
    const { octokit } = await deps.github.forInstallation(repo.installationId);
    await publishDashboard({
      db: deps.db,
      octokit,
      repository: repo.repository,
      now: deps.now?.() ?? new Date(),
    });
  } catch (error) {
    log.warn({ err: error }, "maintain: could not update the dashboard issue; the next run will");
  }
}
