import type { GitHubClient } from "../github/client.ts";
import { renderPullRequestBody } from "../github/pull-request-body.ts";
import { type RepoTarget, requestReview, upsertPullRequest } from "../github/pull-requests.ts";
import type { GitHubTaskInput } from "../github/task-input.ts";
import type { PreparedTask, Pushed } from "./github-task.ts";
import { firstLine } from "./task-text.ts";

/**
 * A fix's delivery: opens (or updates) the pull request of the pushed branch into `base`, with the
 * step log in its body, and asks the requester to review a new one.
 *
 * @example
 * deliver: (pushed) => openTaskPullRequest(octokit, { owner, repo }, { pushed, base: "main", title, taskId, requester, input }),
 */
export async function openTaskPullRequest(
  octokit: GitHubClient,
  target: RepoTarget,
  request: {
    pushed: Pushed;
    base: string;
    title: string;
    /** The issue it fixes (`Fixes #n` in the body); absent for a fix into another pull request. */
    issueNumber?: number;
    taskId: number;
    requester: string;
    input: GitHubTaskInput;
  },
): ReturnType<PreparedTask["deliver"]> {
  const { pushed, requester, input } = request;
  const pull = await upsertPullRequest(octokit, target, {
    head: pushed.branch,
    base: request.base,
    title: request.title,
    body: renderPullRequestBody({
      taskId: String(request.taskId),
      ...(request.issueNumber !== undefined && { issueNumber: request.issueNumber }),
      requester,
      command: input.config.fix.command,
      result: pushed.summary,
    }),
    draft: input.config.fix.draft,
  });
  if (pull.created) await requestReview(octokit, target, pull.number, requester);
  return {
    result: {
      pullRequest: { number: pull.number, url: pull.url },
      reason: firstLine(pushed.summary.summary, 280),
    },
    prUrl: pull.url,
  };
}
