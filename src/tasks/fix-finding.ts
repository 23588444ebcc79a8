import { withGitHubErrors } from "../github/errors.ts";
import type { GitHubTaskSpec, PreparedTask } from "./github-task.ts";
import { openTaskPullRequest } from "./open-pull-request.ts";
import { DELIVERY_RULES, firstLine, maintainerInstructions, slugify } from "./task-text.ts";

/**
 * A fix of a review finding on a same-repository pull request that is not Loopwright's (`/agent fix`
 * on the finding's thread): start from the pull request's branch, push `agent/review-fix-<n>-<slug>`,
 * and open a pull request into that branch, so its author merges the fix or not. The finding itself
 * is in the task's instructions.
 *
 * @example
 * if (input.base) return prepareFindingFix(request, input.base.ref);
 */
export async function prepareFindingFix(
  request: Parameters<GitHubTaskSpec["prepare"]>[0],
  baseRef: string,
): Promise<PreparedTask> {
  const { octokit, target, input, requester, taskId } = request;
  const { owner, repo, number } = target;
  const pull = await withGitHubErrors(`read pull request #${number}`, async () => {
    const { data } = await octokit.rest.pulls.get({ owner, repo, pull_number: number });
    return { title: data.title };
  });
  const finding = firstLine(input.instructions, 120);
  return {
    prompt: [
      `Fix a problem that a review found in pull request #${number} of ${owner}/${repo} ("${firstLine(pull.title, 200)}").`,
      `The pull request's branch ${baseRef} is checked out; your change becomes a pull request into that branch.`,
      maintainerInstructions(input.instructions, requester),
      DELIVERY_RULES,
    ].join("\n"),
    checkout: { kind: "branch", name: baseRef },
    branch: `review-fix-${number}-${slugify(finding)}`,
    commitMessage: (agent) => `${firstLine(finding, 72)}\n\n${firstLine(agent.message, 400)}\n`,
    deliver: (pushed) =>
      openTaskPullRequest(
        octokit,
        { owner, repo },
        {
          pushed,
          base: baseRef,
          title: `Fix for #${number}: ${firstLine(finding, 200)}`,
          taskId,
          requester,
          input,
        },
      ),
  };
}
