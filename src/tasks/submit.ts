import path from "node:path";
import { z } from "zod";
import type { AgentResult } from "../agent/loop.ts";
import type { ModelClient } from "../agent/model.ts";
import { loadReplayModel } from "../agent/models/replay.ts";
import { DEFAULT_REPO_CONFIG, type RepoConfig } from "../config/repo-config.ts";
import type { TaskOutcome } from "../store/tasks.ts";
import { stoppedOutcome, type TaskContext, type TaskHandler, taskStop } from "../worker/task-handler.ts";
import type { Identity } from "../workspace/commit-push.ts";
import { resolveCheckoutTarget } from "../workspace/remote-ref.ts";
import { parseRepositoryUrl } from "../workspace/repository-url.ts";
import { DEFAULT_BRANCH_PREFIX } from "../workspace/workspace.ts";
import { type AgentSessionDependencies, runAgentSession, sessionLimits } from "./agent-session.ts";
import { buildCommitMessage, commitSubject } from "./commit-message.ts";
import { describeFailure } from "./github-task.ts";
import { RESULT_SIDE_EFFECT } from "./submit-result.ts";
import { DELIVERY_RULES, firstLine } from "./task-text.ts";

export type SubmitTaskDependencies = AgentSessionDependencies & {
  /** The model when the task has no replay transcript (called with the default repository config). */
  createModel(config: RepoConfig): ModelClient;
};

/**
 * A `submit` task's input, as `loopwright submit` stores it.
 *
 * @example
 * submitInputSchema.parse({ repo: "/srv/git/app.git", ref: "main", prompt: "Fix the flaky test" });
 */
export const submitInputSchema = z.object({
  /** The repository: an http(s) or file:// URL, or an absolute path. */
  repo: z.string().superRefine((value, ctx) => {
    try {
      parseRepositoryUrl(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
    }
  }),
  /** A branch, a tag or a commit id; the default branch when absent. */
  ref: z.string().trim().min(1, { error: "the ref is empty" }).optional(),
  prompt: z.string().trim().min(1, { error: "the task text is empty" }),
  /** A transcript file on the worker's machine, replayed instead of calling a model. */
  replay: z
    .string()
    .refine((file) => path.isAbsolute(file), { error: "the replay transcript must be an absolute path" })
    .optional(),
});
export type SubmitInput = z.infer<typeof submitInputSchema>;

/** Commits of `submit` tasks: there is no GitHub App identity to use. */
const AUTHOR: Identity = { name: "Loopwright", email: "loopwright@localhost" };

const agentStatuses: Record<
  Exclude<AgentResult["outcome"], "completed" | "aborted">,
  TaskOutcome["status"]
> = {
  budget_exhausted: "budget_exhausted",
  model_error: "failed",
};

export { RESULT_SIDE_EFFECT };

async function runSubmit(
  deps: SubmitTaskDependencies,
  context: TaskContext,
  input: SubmitInput,
): Promise<TaskOutcome> {
  const { task, signal } = context;
  const config = DEFAULT_REPO_CONFIG;
  const target = await resolveCheckoutTarget(input.repo, input.ref, { signal });
  const model = input.replay ? await loadReplayModel(input.replay) : deps.createModel(config);
  const { agent, change } = await runAgentSession(deps, context, {
    workspace: {
      url: input.repo,
      target,
      branch: `run-${task.id}`,
      branchPrefix: DEFAULT_BRANCH_PREFIX,
    },
    model,
    prompt: `${input.prompt}\n\n${DELIVERY_RULES}`,
    ...sessionLimits(config),
    commit: {
      message: (result) =>
        buildCommitMessage({
          subject: commitSubject(input.prompt),
          fallbackSubject: `Make the change asked for in Loopwright task ${task.id}`,
          summary: result.message,
          summaryElsewhere: `The whole summary is in the task's step log: loopwright task ${task.id}.`,
          notes: [`Asked for: ${input.prompt}`],
          trailers: [`Loopwright task ${task.id}`],
        }),
      author: AUTHOR,
      coAuthors: [],
    },
    branchPolicy: "task",
  });
  if (agent.outcome === "aborted") {
    const stop = taskStop(signal);
    // A shutdown or a lost claim hands the task back for a retry elsewhere.
    if (!stop) throw signal.reason;
    return stoppedOutcome(stop, agent.message);
  }
  if (agent.outcome !== "completed") return { status: agentStatuses[agent.outcome], error: agent.message };
  const result =
    change.status === "pushed"
      ? `pushed ${change.branch} (${change.sha.slice(0, 12)}) to ${input.repo}`
      : `nothing changed: the agent finished without changing any file. Its answer: ${firstLine(agent.message, 400)}`;
  await context.recordSideEffect(RESULT_SIDE_EFFECT, result);
  return { status: "succeeded" };
}

/**
 * The `submit` task kind: the agent works in a workspace of any git repository (no GitHub) at the
 * requested ref, and when the tree changed its commit is pushed back to that remote as
 * `agent/run-<task id>`. The result in words goes to the task's `result` side effect; bad input,
 * an unknown ref or a failed push fail the task with a message.
 *
 * @example
 * handlers.set("submit", createSubmitHandler({ settings, workspaces, log, createModel: modelFactory(settings) }));
 */
export function createSubmitHandler(deps: SubmitTaskDependencies): TaskHandler {
  return async (context) => {
    const parsed = submitInputSchema.safeParse(context.task.input);
    if (!parsed.success) {
      return {
        status: "failed",
        error: `task ${context.task.id} has malformed input:\n${z.prettifyError(parsed.error)}`,
      };
    }
    try {
      return await runSubmit(deps, context, parsed.data);
    } catch (error) {
      const stop = taskStop(context.signal);
      if (stop) return stoppedOutcome(stop, "stopped on request");
      // A shutdown or a lost claim hands the task back for a retry elsewhere.
      if (context.signal.aborted) throw error;
      return { status: "failed", error: describeFailure(error) };
    }
  };
}
