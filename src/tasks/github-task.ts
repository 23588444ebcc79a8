import { summarizeEvent } from "../agent/event-summary.ts";
import type { AgentEvent } from "../agent/events.ts";
import type { AgentResult } from "../agent/loop.ts";
import { type ModelClient, ModelError } from "../agent/model.ts";
import { renderStepLog } from "../agent/step-log.ts";
import type { RepoConfig } from "../config/repo-config.ts";
import type { GitHubClient } from "../github/client.ts";
import type { IssueTarget } from "../github/comments.ts";
import { GitHubApiError } from "../github/errors.ts";
import type { GitHubApp } from "../github/installation.ts";
import type { ProgressView } from "../github/progress-comment.ts";
import type { CommandRun, StepSummary } from "../github/pull-request-body.ts";
import { type GitHubTaskInput, parseGitHubTaskInput } from "../github/task-input.ts";
import type { TaskOutcome } from "../store/tasks.ts";
import {
  stoppedOutcome,
  TaskAbortedError,
  type TaskContext,
  type TaskHandler,
  taskStop,
} from "../worker/task-handler.ts";
import type { ChangedFile, Identity } from "../workspace/commit-push.ts";
import { PushRejectedError } from "../workspace/commit-push.ts";
import type { CheckoutTarget } from "../workspace/workspace.ts";
import {
  type AgentSessionDependencies,
  type AgentSessionResult,
  runAgentSession,
  sessionLimits,
} from "./agent-session.ts";
import { type FinalProgress, ProgressReporter } from "./progress-reporter.ts";

export type GitHubTaskDependencies = AgentSessionDependencies & {
  github: GitHubApp;
  /** The model for a task, from the process settings and the repository's `model` section. */
  createModel(config: RepoConfig): ModelClient;
};

export type Pushed = { branch: string; sha: string; files: ChangedFile[]; summary: StepSummary };

/** What a task kind prepared once it read its issue or pull request. */
export type PreparedTask = {
  /** The task text for the model (thread text is untrusted data, wrapped as such). */
  prompt: string;
  checkout: CheckoutTarget;
  branch: string;
  commitMessage(agent: AgentResult): string;
  /** After the push: open or update the pull request, reply… Resolves to what the progress comment shows. */
  deliver(pushed: Pushed): Promise<{ result: ProgressView["result"]; prUrl?: string }>;
};

/** What one GitHub task kind decides; the shared runner does the rest. */
export type GitHubTaskSpec = {
  kind: ProgressView["kind"];
  branchPolicy: "task" | "existing";
  prepare(request: {
    octokit: GitHubClient;
    target: IssueTarget;
    input: GitHubTaskInput;
    requester: string;
    taskId: number;
  }): Promise<PreparedTask>;
};

/** Facts for the pull request body and the progress comment, from the stored agent events. */
export function summarizeSession(session: AgentSessionResult, files: ChangedFile[]): StepSummary {
  const commands: CommandRun[] = session.events.flatMap((event: AgentEvent) => {
    if (event.type !== "tool_call" || event.name !== "shell") return [];
    let command = event.arguments;
    try {
      const args = JSON.parse(event.arguments) as { command?: string | string[] };
      command = Array.isArray(args.command) ? args.command.join(" ") : (args.command ?? command);
    } catch {
      // the raw arguments are the best description of an unparseable call
    }
    return [{ command, exitCode: event.exitCode === 124 ? null : event.exitCode }];
  });
  return {
    summary: session.agent.message,
    commands,
    filesChanged: files.map((file) => ({
      path: file.path,
      status:
        file.status === "added" || file.status === "deleted" || file.status === "renamed"
          ? file.status
          : "modified",
      ...(file.from && { previousPath: file.from }),
    })),
    stepLog: renderStepLog(session.events),
    steps: session.agent.totals.steps,
    tokens: session.agent.totals.total,
  };
}

/**
 * The last tool calls, one plain line each (the comment renders each as code): edits and file
 * reads count as much as commands when a task ends without a result.
 */
function triedSoFar(session: AgentSessionResult): string[] {
  return session.events
    .filter((event) => event.type === "tool_call" && event.name !== "update_plan")
    .slice(-8)
    .map(summarizeEvent);
}

/** How the agent's own endings end the task (an abort is a stop, or a hand-back for a retry). */
const agentOutcomes: Record<
  Exclude<AgentResult["outcome"], "completed" | "aborted">,
  { task: TaskOutcome["status"]; progress: FinalProgress["status"] }
> = {
  budget_exhausted: { task: "budget_exhausted", progress: "failed" },
  model_error: { task: "failed", progress: "failed" },
};

/** Words for a failure a maintainer can act on. */
export function describeFailure(error: unknown): string {
  if (error instanceof PushRejectedError) return `the push was rejected: ${error.explanation}`;
  if (error instanceof GitHubApiError || error instanceof ModelError) return error.message;
  if (error instanceof TaskAbortedError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * The handler of a GitHub task kind: installation access, the progress comment, one agent session
 * in the sandbox, then delivery (pull request or reply) — and every ending, including errors, shown
 * in the progress comment in words.
 *
 * @example
 * handlers.set("fix", createGitHubTaskHandler(deps, fixSpec));
 */
export function createGitHubTaskHandler(deps: GitHubTaskDependencies, spec: GitHubTaskSpec): TaskHandler {
  return async (context: TaskContext): Promise<TaskOutcome> => {
    const { task, log } = context;
    const parsed = parseGitHubTaskInput(task.input);
    if (
      !parsed.success ||
      task.installationId === null ||
      task.number === null ||
      !task.repository.includes("/")
    ) {
      return {
        status: "failed",
        error: `task ${task.id} has malformed input: ${parsed.success ? "no installation, issue number or owner/name repository" : parsed.error}`,
      };
    }
    const { input } = parsed;
    const [owner = "", repo = ""] = task.repository.split("/");
    const target: IssueTarget = { owner, repo, number: task.number };
    const requester = task.requester ?? owner;

    const { octokit, token } = await deps.github.forInstallation(task.installationId);
    // The progress comment is posted in the background while the task reads its issue and works.
    const progress = ProgressReporter.start({
      octokit,
      target,
      taskId: task.id,
      kind: spec.kind,
      command: input.config.fix.command,
      maxSteps: input.config.budget.max_steps,
      tokens: task.tokens,
      log,
      recordCommentId: (id) => context.recordSideEffect("progressCommentId", id),
    });
    // The progress comment says how a stop ended the task: on request, or the daily budget used up.
    const endStopped = async (stop: TaskAbortedError, cancelledReason: string, tried?: string[]) => {
      const outcome = stoppedOutcome(stop, cancelledReason);
      await progress.finish({
        status: "stopped",
        result: { reason: outcome.error, ...(tried && { tried }) },
      });
      return outcome;
    };
    try {
      await context.enforceDailyTokenBudget(input.config.budget.daily_tokens);
      if (context.signal.aborted) throw context.signal.reason;
      const [author, prepared] = await Promise.all([
        deps.github.botIdentity(octokit),
        spec.prepare({ octokit, target, input, requester, taskId: task.id }),
      ]);
      const requesterIdentity: Identity = { name: requester, email: `${requester}@users.noreply.github.com` };
      const session = await runAgentSession(deps, context, {
        workspace: {
          url: input.cloneUrl,
          token,
          target: prepared.checkout,
          branch: prepared.branch,
          branchPrefix: input.config.fix.branch_prefix,
          defaultBranch: input.defaultBranch,
        },
        model: deps.createModel(input.config),
        prompt: prepared.prompt,
        ...sessionLimits(input.config),
        commit: {
          message: (agent) => prepared.commitMessage(agent),
          author,
          coAuthors: [requesterIdentity],
        },
        token,
        branchPolicy: spec.branchPolicy,
        onEvent: (event) => progress.onEvent(event),
      });

      const { agent, change } = session;
      if (agent.outcome === "aborted") {
        const stop = taskStop(context.signal);
        // A shutdown or a lost claim hands the task back for a retry elsewhere.
        if (!stop) throw context.signal.reason;
        return await endStopped(stop, agent.message, triedSoFar(session));
      }
      if (agent.outcome !== "completed") {
        const ending = agentOutcomes[agent.outcome];
        await progress.finish({
          status: ending.progress,
          result: { reason: agent.message, tried: triedSoFar(session) },
        });
        return { status: ending.task, error: agent.message };
      }
      if (change.status !== "pushed") {
        await progress.finish({
          status: "no_changes",
          result: {
            reason: `the agent finished without changing any file. Its answer: ${agent.message}`,
            tried: triedSoFar(session),
          },
        });
        return { status: "succeeded" };
      }
      const delivered = await prepared
        .deliver({ ...change, summary: summarizeSession(session, change.files) })
        .catch((error: unknown) => {
          // The work is pushed: say where, so it is not lost with the pull request that failed.
          throw new Error(`${describeFailure(error)} (the changes are pushed to branch ${change.branch})`, {
            cause: error,
          });
        });
      if (delivered.prUrl) await context.recordSideEffect("pullRequest", delivered.prUrl);
      await progress.finish({ status: "succeeded", result: delivered.result });
      return { status: "succeeded", ...(delivered.prUrl && { prUrl: delivered.prUrl }) };
    } catch (error) {
      const stop = taskStop(context.signal);
      if (stop) return await endStopped(stop, "stopped on request");
      // A shutdown or a lost claim hands the task back for a retry elsewhere: leave the comment running.
      if (context.signal.aborted) throw error;
      const reason = describeFailure(error);
      await progress.finish({ status: "failed", result: { reason } });
      return { status: "failed", error: reason };
    }
  };
}
