import { Octokit } from "@octokit/rest";
import nock from "nock";
import type { GitHubClient } from "../../src/github/client.ts";

export const API = "https://api.github.com";

/**
 * An Octokit with no network of its own: every request must be answered by a nock interceptor on
 * {@link API}; anything else fails the test.
 *
 * @example
 * const octokit = testOctokit();
 * nock(API).get("/repos/o/r").reply(200, {});
 */
export function testOctokit(): GitHubClient {
  nock.disableNetConnect();
  return new Octokit({ auth: "test-token", log: { debug() {}, info() {}, warn() {}, error() {} } });
}
