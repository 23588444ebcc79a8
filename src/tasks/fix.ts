import type { GitHubClient } from "../github/client.ts";
import type { IssueTarget } from "../github/comments.ts";
import { withGitHubErrors } from "../github/errors.ts";
import { renderPullRequestBody } from "../github/pull-request-body.ts";
import { requestReview, upsertPullRequest } from "../github/pull-requests.ts";
import { formatThread } from "../github/sanitize.ts";
import type { GitHubTaskSpec } from "./github-task.ts";
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
 */
export const fixTask: GitHubTaskSpec = {
  kind: "fix",
  branchPolicy: "task",
  async prepare({ octokit, target, input, requester, taskId }) {
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
      async deliver(pushed) {
        const pull = await upsertPullRequest(
          octokit,
          { owner, repo },
          {
            head: pushed.branch,
            base: input.defaultBranch,
            title: `Fix #${number}: ${firstLine(issue.title, 200)}`,
            body: renderPullRequestBody({
              taskId: String(taskId),
              issueNumber: number,
              requester,
              command: input.config.fix.command,
              result: pushed.summary,
            }),
            draft: input.config.fix.draft,
          },
        );
        if (pull.created) await requestReview(octokit, { owner, repo }, pull.number, requester);
        return {
          result: {
            pullRequest: { number: pull.number, url: pull.url },
            reason: firstLine(pushed.summary.summary, 280),
          },
          prUrl: pull.url,
        };
      },
    };
  },
};
