import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { checkPermission } from "../../src/github/authorize.ts";
import { GitHubApiError } from "../../src/github/errors.ts";
import { API, testOctokit } from "./octokit.ts";

const target = { owner: "o", repo: "r", username: "ann" };
const path = "/repos/o/r/collaborators/ann/permission";

afterEach(() => {
  expect(nock.isDone()).toBe(true);
  nock.cleanAll();
});

describe("checkPermission", () => {
  it.each([
    ["admin", "admin", true],
    ["write", "maintain", true],
    ["write", "write", true],
    ["write", "release-manager", true],
    ["read", "triage", false],
    ["read", "read", false],
    ["none", "", false],
  ])("permission %s (role %s) → allowed %s", async (permission, roleName, allowed) => {
    nock(API)
      .get(path)
      .reply(200, { permission, role_name: roleName, user: { login: "ann" } });
    await expect(checkPermission(testOctokit(), target)).resolves.toEqual({
      allowed,
      permission,
      roleName: roleName || undefined,
    });
  });

  it("treats an unknown user (404) as not allowed", async () => {
    nock(API).get(path).reply(404, { message: "Not Found" });
    await expect(checkPermission(testOctokit(), target)).resolves.toEqual({
      allowed: false,
      permission: "none",
      roleName: undefined,
    });
  });

  it("reports other failures clearly", async () => {
    nock(API).get(path).reply(403, { message: "Resource not accessible by integration" });
    const error = await checkPermission(testOctokit(), target).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GitHubApiError);
    expect((error as GitHubApiError).kind).toBe("permission");
    expect((error as Error).message).toBe(
      "Could not check ann's permission on o/r: the GitHub App lacks permission (403): Resource not accessible by integration",
    );
  });
});
