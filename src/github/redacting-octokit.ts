import { ProbotOctokit } from "probot";
import { redactDeep } from "../redact.ts";

/** Request options that address the request rather than carry text Loopwright wrote. */
const NOT_CONTENT = new Set(["method", "url", "baseUrl", "headers", "request", "mediaType"]);

/**
 * An Octokit plugin that redacts every request's parameters (comment and PR bodies, titles, review
 * comments, check-run output…) before they leave, so a token a command printed, or one of this
 * process's secrets, never reaches GitHub, whichever code path wrote the text.
 *
 * @example
 * const MyOctokit = ProbotOctokit.plugin(redactRequests);
 */
export function redactRequests(octokit: Pick<ProbotOctokit, "hook">): void {
  octokit.hook.before("request", (options) => {
    const parameters = options as Record<string, unknown>;
    for (const key of Object.keys(parameters)) {
      if (!NOT_CONTENT.has(key)) parameters[key] = redactDeep(parameters[key]);
    }
  });
}

/** Probot's Octokit with `redactRequests`: what every GitHub client of Loopwright is made from. */
export const RedactingOctokit = ProbotOctokit.plugin(redactRequests);
