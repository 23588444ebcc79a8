import { Octokit } from "@octokit/rest";
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { GitHubApiError, toGitHubApiError, withGitHubErrors } from "../../src/github/errors.ts";
import { API, testOctokit } from "./octokit.ts";

const now = new Date("2025-01-01T12:00:00Z");

async function failure(status: number, body: unknown, headers: Record<string, string> = {}) {
  nock(API)
    .get("/repos/o/r")
    .reply(status, body as nock.Body, headers);
  try {
    await testOctokit().request("GET /repos/{owner}/{repo}", { owner: "o", repo: "r" });
  } catch (error) {
    return toGitHubApiError(error, "read the repository", now);
  }
  throw new Error("the request should have failed");
}

afterEach(() => {
  nock.cleanAll();
});

describe("toGitHubApiError", () => {
  it("names the primary rate limit's reset time", async () => {
    const reset = String(Date.parse("2025-01-01T12:14:30Z") / 1000);
    const error = await failure(
      403,
      { message: "API rate limit exceeded" },
      { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset },
    );
    expect(error.kind).toBe("rate_limit");
    expect(error.resetAt?.toISOString()).toBe("2025-01-01T12:14:30.000Z");
    expect(error.message).toBe(
      "Could not read the repository: GitHub's API rate limit is used up until 12:14 UTC (in 15 minutes).",
    );
  });

  it("recognizes secondary rate limits by retry-after or message", async () => {
    const byHeader = await failure(403, { message: "slow down" }, { "retry-after": "60" });
    expect(byHeader.kind).toBe("rate_limit");
    expect(byHeader.message).toContain("rate limiting requests until 12:01 UTC (in 1 minute)");
    const byMessage = await failure(403, { message: "You have exceeded a secondary rate limit" });
    expect(byMessage.kind).toBe("rate_limit");
    expect((await failure(429, {})).kind).toBe("rate_limit");
  });

  it.each([
    [
      401,
      { message: "Bad credentials" },
      "auth",
      "GitHub refused the app's credentials (401): Bad credentials",
    ],
    [403, { message: "Resource not accessible by integration" }, "permission", "lacks permission (403)"],
    [404, { message: "Not Found" }, "not_found", "not found (404)"],
    [
      422,
      {
        message: "Validation Failed",
        errors: [
          {
            resource: "PullRequest",
            code: "custom",
            message: "A pull request already exists for o:agent/x.",
          },
        ],
      },
      "validation",
      "GitHub rejected it (422): Validation Failed; A pull request already exists for o:agent/x.",
    ],
    [
      422,
      { message: "Validation Failed", errors: [{ field: "head", code: "invalid" }] },
      "validation",
      "head invalid",
    ],
    [502, "Bad gateway", "server", "GitHub had an error (502)"],
    [418, { message: "teapot" }, "unknown", "GitHub answered 418: teapot"],
  ])("maps %i to %s", async (status, body, kind, message) => {
    const error = await failure(status, body);
    expect(error).toBeInstanceOf(GitHubApiError);
    expect(error.kind).toBe(kind);
    expect(error.status).toBe(status);
    expect(error.message).toContain(message);
    expect(error.message.startsWith("Could not read the repository: ")).toBe(true);
  });

  it("reports network failures and leaves classified errors alone", async () => {
    nock.disableNetConnect();
    const octokit = new Octokit({
      baseUrl: "https://unreachable.invalid",
      log: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const error: GitHubApiError = await withGitHubErrors("read the repository", () =>
      octokit.request("GET /repos/{owner}/{repo}", { owner: "o", repo: "r" }),
    ).then(
      () => {
        throw new Error("the request should have failed");
      },
      (caught: GitHubApiError) => caught,
    );
    expect(error.kind).toBe("network");
    expect(error.message).toMatch(/^Could not read the repository: could not reach GitHub: /);
    expect(toGitHubApiError(error, "other")).toBe(error);
    expect(toGitHubApiError(undefined, "do it").kind).toBe("network");
  });
});
