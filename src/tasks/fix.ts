import type { GitHubClient } from "../github/client.ts";
import type { IssueTarget } from "../github/comments.ts";
import { withGitHubErrors } from "../github/errors.ts";
import { formatThread } from "../github/sanitize.ts";
import { prepareFindingFix } from "./fix-finding.ts";
import type { GitHubTaskSpec } from "./github-task.ts";
import { openTaskPullRequest } from "./open-pull-request.ts";
import { DELIVERY_RULES, firstLine, maintainerInstructions, slugify } from "./task-text.ts";

async function readIssue(octokit: GitHubClient, target: IssueTarget) {
  return withGitHubErrors(`read issue #${target.number}`, async () => {
    const { owner, repo, number } = target;
    const { data: issue } = await octokit.rest.issues.get({ owner, repo, issue_number: number });
    const comments = await octokit.paginate(octokit.rest.issues.listComments, {
      owner,
      repo,
      issue_number: number,
      per_page: 100,
    });
    return {
      title: issue.title,
      thread: formatThread(
        {
          title: issue.title,
          author: issue.user?.login ?? "ghost",
          body: issue.body ?? "",
          // Bots' comments (Loopwright's own progress included) are noise for the model.
          comments: comments
            .filter((comment) => comment.user?.type !== "Bot")
            .map((comment) => ({ author: comment.user?.login ?? "ghost", body: comment.body ?? "" })),
        },
        `issue #${number}`,
      ),
    };
  });
}

/**
 * `/agent fix` on an issue: work from the default branch, push `agent/issue-<n>-<slug>`, open (or
 * update) the pull request that fixes the issue, with the step log, and ask the requester to review.
 * With `input.base` (a review finding on another pull request), see `prepareFindingFix`.
 */
export const fixTask: GitHubTaskSpec = {
  kind: "fix",
  branchPolicy: "task",
  async prepare(request) {
    const { octokit, target, input, requester, taskId } = request;
    // A review finding on another pull request: the fix goes into that pull request's branch.
    if (input.base) return prepareFindingFix(request, input.base.ref);
    const issue = await readIssue(octokit, target);
    const { owner, repo, number } = target;
    return {
      prompt: [
        `Fix issue #${number} of the GitHub repository ${owner}/${repo}.`,
        "",
        issue.thread,
        maintainerInstructions(input.instructions, requester),
        DELIVERY_RULES,
      ].join("\n"),
      checkout: { kind: "default" },
      branch: `issue-${number}-${slugify(issue.title)}`,
      commitMessage: (agent) =>
        `Fix #${number}: ${firstLine(issue.title, 60)}\n\n${firstLine(agent.message, 400)}\n`,
      deliver: (pushed) =>
        openTaskPullRequest(
          octokit,
          { owner, repo },
          {
            pushed,
            base: input.defaultBranch,
            title: `Fix #${number}: ${firstLine(issue.title, 200)}`,
            issueNumber: number,
            taskId,
            requester,
            input,
          },
        ),
    };
  },
};
