import type { Octokit } from "@octokit/rest";

/**
 * The part of an Octokit the GitHub edge uses. Both Probot's `context.octokit` and an `@octokit/rest`
 * instance fit, so handlers, workers and tests pass whichever they have.
 */
export type GitHubClient = Pick<Octokit, "request" | "rest" | "paginate" | "graphql">;
