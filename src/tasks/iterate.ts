import type { GitHubClient } from "../github/client.ts";
import type { IssueTarget } from "../github/comments.ts";
import { withGitHubErrors } from "../github/errors.ts";
import { formatThread, wrapUntrusted } from "../github/sanitize.ts";
import type { GitHubTaskInput } from "../github/task-input.ts";
import type { GitHubTaskSpec } from "./github-task.ts";
import { DELIVERY_RULES, firstLine, maintainerInstructions } from "./task-text.ts";

const MAX_DIFF_CHARS = 40_000;

async function readPullRequest(octokit: GitHubClient, target: IssueTarget, input: GitHubTaskInput) {
  const { owner, repo, number } = target;
  return withGitHubErrors(`read pull request #${number}`, async () => {
    const { data: pull } = await octokit.rest.pulls.get({ owner, repo, pull_number: number });
    const diff = (await octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
      owner,
      repo,
      pull_number: number,
      mediaType: { format: "diff" },
    })) as unknown as { data: string };
    const review =
      input.reviewId === undefined
        ? []
        : await octokit.paginate(octokit.rest.pulls.listCommentsForReview, {
            owner,
            repo,
            pull_number: number,
            review_id: input.reviewId,
            per_page: 100,
          });
    return { pull, diff: String(diff.data), review };
  });
}

/**
 * `/agent <instructions>` on one of Loopwright's pull requests, or a review requesting changes:
 * work on the pull request's branch and push new commits to it (never a force-push).
 */
export const iterateTask: GitHubTaskSpec = {
  kind: "iterate",
  branchPolicy: "existing",
  async prepare({ octokit, target, input, requester }) {
    if (!input.head) throw new Error("the task does not say which pull request branch to work on");
    const { head } = input;
    const { pull, diff, review } = await readPullRequest(octokit, target, input);
    const shownDiff =
      diff.length > MAX_DIFF_CHARS
        ? `${diff.slice(0, MAX_DIFF_CHARS)}\n[... diff cut at ${MAX_DIFF_CHARS} characters ...]`
        : diff;
    const reviewComments = review.map((comment) => ({
      author: comment.user?.login ?? "ghost",
      body: `On ${comment.path}${comment.line ? ` line ${comment.line}` : ""}:\n${comment.body}`,
    }));
    return {
      prompt: [
        `Update pull request #${target.number} of ${target.owner}/${target.repo} (branch ${head.ref}) as its reviewers ask.`,
        "",
        formatThread(
          {
            title: pull.title,
            author: pull.user?.login ?? "ghost",
            body: pull.body ?? "",
            comments: reviewComments,
          },
          `pull request #${target.number} and its review comments`,
        ),
        "",
        wrapUntrusted("pull request diff", shownDiff),
        maintainerInstructions(input.instructions, requester),
        "The branch is already checked out with the pull request's commits; build on them.",
        DELIVERY_RULES,
      ].join("\n"),
      checkout: { kind: "branch", name: head.ref },
      branch: head.ref,
      commitMessage: (agent) =>
        `${firstLine(agent.message, 72)}\n\nRequested by @${requester} on #${target.number}.\n`,
      async deliver(pushed) {
        const files = pushed.files.map((file) => file.path);
        const listed =
          files.slice(0, 10).join(", ") + (files.length > 10 ? ` and ${files.length - 10} more` : "");
        return {
          result: {
            pullRequest: { number: target.number, url: pull.html_url },
            reason: `Commit ${pushed.sha.slice(0, 7)} changes ${listed}: ${firstLine(pushed.summary.summary, 200)}`,
          },
        };
      },
    };
  },
};
