import type { RepoConfig } from "../config/repo-config.ts";
import type { GitHubClient } from "./client.ts";
import type { IssueTarget } from "./comments.ts";
import { getPullRequestHead } from "./pull-requests.ts";
import type { FoundFinding, ReviewIntakeDependencies } from "./review-intake.ts";
import { iterateRefusal, type TaskRequest } from "./triggers.ts";

type FindingFixTrigger = Extract<TaskRequest, { kind: "fix_finding" }>;
type TaskTrigger = Extract<TaskRequest, { kind: "fix" | "iterate" }>;

/**
 * The task text that hands a review finding to the agent: which finding, where, what is wrong, and
 * the maintainer's own words after the command.
 *
 * @example
 * findingInstructions({ ordinal: 3, title: "Off by one", priority: "P1", path: "a.ts", … }, "keep the API");
 */
export function findingInstructions(finding: FoundFinding, extra: string): string {
  const lines =
    finding.endLine > finding.startLine
      ? `lines ${finding.startLine}-${finding.endLine}`
      : `line ${finding.startLine}`;
  return [
    `Fix finding F${finding.ordinal} (${finding.priority}) of Loopwright's review: ${finding.title}`,
    `In ${finding.path}, ${lines} (${finding.side === "LEFT" ? "of the base version" : "of the pull request's version"}).`,
    finding.body,
    ...(extra.trim() === "" ? [] : ["", extra.trim()]),
  ].join("\n");
}

/**
 * Turns `/agent fix` on a finding into the task that fixes it, or the reason it cannot: on one of
 * Loopwright's own pull requests an iterate task (follow-up commits); on another pull request of
 * this repository a fix task that opens a pull request into its branch; on a fork's pull request
 * nothing (Loopwright pushes only to this repository).
 *
 * @example
 * const task = await findingFixTask({ octokit, target, trigger, config, reviews });
 * if ("refusal" in task) await reply(task.refusal);
 */
export async function findingFixTask(request: {
  octokit: GitHubClient;
  target: IssueTarget;
  trigger: FindingFixTrigger;
  config: RepoConfig;
  reviews: ReviewIntakeDependencies;
}): Promise<TaskTrigger | { refusal: string }> {
  const { octokit, target, trigger, config, reviews } = request;
  const ref =
    trigger.finding !== undefined
      ? { ordinal: trigger.finding }
      : { commentId: trigger.inReplyTo ?? Number.NaN };
  const finding = await reviews.findFinding(trigger.repo.fullName, trigger.number, ref);
  if (!finding) return { refusal: "no Loopwright finding matches that request" };
  if (finding.status !== "open") return { refusal: `F${finding.ordinal} is ${finding.status} already` };
  const pull = await getPullRequestHead(octokit, { owner: target.owner, repo: target.repo }, trigger.number);
  if (pull.state !== "open") return { refusal: "this pull request is closed" };
  if (pull.headRepoFullName !== pull.baseRepoFullName) {
    return {
      refusal: `this pull request comes from a fork, and Loopwright pushes only to branches of ${trigger.repo.fullName}; apply the finding's suggestion or fix it in the fork`,
    };
  }
  const base = {
    repo: trigger.repo,
    number: trigger.number,
    requester: trigger.requester,
    source: trigger.source,
    deliveryId: trigger.deliveryId,
    instructions: findingInstructions(finding, trigger.instructions),
  };
  if (iterateRefusal(pull, config) === undefined) {
    return { ...base, kind: "iterate", head: { ref: pull.headRef, sha: pull.headSha } };
  }
  return { ...base, kind: "fix", base: { ref: pull.headRef } };
}
