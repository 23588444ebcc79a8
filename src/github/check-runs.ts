import type { GitHubClient } from "./client.ts";
import { withGitHubErrors } from "./errors.ts";
import type { RepoTarget } from "./pull-requests.ts";

/** The name of the review's check run, as it shows on the pull request. */
export const REVIEW_CHECK_NAME = "Loopwright review";

/** GitHub takes at most this many annotations per create or update request. */
export const ANNOTATIONS_PER_REQUEST = 50;

export type CheckAnnotation = {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "notice" | "warning" | "failure";
  title: string;
  message: string;
};

export type CheckConclusion = "success" | "failure" | "neutral" | "cancelled" | "skipped";

/**
 * Starts the review's check run on a commit, shown "in progress" while the review works.
 *
 * @example
 * const id = await startCheckRun(octokit, { owner, repo }, headSha, "https://…/tasks/12");
 */
export async function startCheckRun(
  octokit: GitHubClient,
  target: RepoTarget,
  headSha: string,
  detailsUrl?: string,
): Promise<number> {
  return withGitHubErrors("start the review's check run", async () => {
    const { data } = await octokit.rest.checks.create({
      ...target,
      name: REVIEW_CHECK_NAME,
      head_sha: headSha,
      status: "in_progress",
      started_at: new Date().toISOString(),
      ...(detailsUrl && { details_url: detailsUrl }),
    });
    return data.id;
  });
}

/**
 * Completes the check run with its conclusion and the findings as annotations, sent in batches of
 * {@link ANNOTATIONS_PER_REQUEST} (the first with the conclusion, the rest as further updates, which
 * GitHub appends).
 *
 * @example
 * await completeCheckRun(octokit, { owner, repo }, id, { conclusion: "neutral", title, summary, annotations });
 */
export async function completeCheckRun(
  octokit: GitHubClient,
  target: RepoTarget,
  checkRunId: number,
  result: { conclusion: CheckConclusion; title: string; summary: string; annotations?: CheckAnnotation[] },
): Promise<void> {
  const annotations = result.annotations ?? [];
  const batches: CheckAnnotation[][] = [];
  for (let start = 0; start < annotations.length; start += ANNOTATIONS_PER_REQUEST) {
    batches.push(annotations.slice(start, start + ANNOTATIONS_PER_REQUEST));
  }
  const output = (batch: CheckAnnotation[] | undefined) => ({
    title: result.title,
    summary: result.summary.slice(0, 65_535),
    ...(batch && { annotations: batch }),
  });
  await withGitHubErrors("complete the review's check run", async () => {
    await octokit.rest.checks.update({
      ...target,
      check_run_id: checkRunId,
      status: "completed",
      conclusion: result.conclusion,
      completed_at: new Date().toISOString(),
      output: output(batches[0]),
    });
    for (const batch of batches.slice(1)) {
      await octokit.rest.checks.update({ ...target, check_run_id: checkRunId, output: output(batch) });
    }
  });
}
