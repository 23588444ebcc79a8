import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import {
  findOpenPullRequest,
  getPullRequestHead,
  requestReview,
  upsertPullRequest,
} from "../../src/github/pull-requests.ts";
import { API, testOctokit } from "./octokit.ts";

const repo = { owner: "o", repo: "r" };
const pull = { head: "agent/issue-7-typo", base: "main", title: "Fix typo", body: "Fixes #7", draft: true };
const listed = (number: number, title = "Fix typo", body = "Fixes #7") => ({
  number,
  title,
  body,
  html_url: `https://github.com/o/r/pull/${number}`,
});

afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

const searchOpen = () =>
  nock(API).get("/repos/o/r/pulls").query({ head: "o:agent/issue-7-typo", state: "open" });

describe("pull requests", () => {
  it("finds an open pull request by head branch", async () => {
    searchOpen().reply(200, [listed(3)]);
    await expect(findOpenPullRequest(testOctokit(), repo, "agent/issue-7-typo")).resolves.toEqual({
      number: 3,
      url: "https://github.com/o/r/pull/3",
      title: "Fix typo",
      body: "Fixes #7",
    });
  });

  it("creates a draft pull request when none is open", async () => {
    searchOpen().reply(200, []);
    nock(API)
      .post("/repos/o/r/pulls", {
        head: pull.head,
        base: "main",
        title: "Fix typo",
        body: "Fixes #7",
        draft: true,
      })
      .reply(201, listed(4));
    await expect(upsertPullRequest(testOctokit(), repo, pull)).resolves.toEqual({
      number: 4,
      url: "https://github.com/o/r/pull/4",
      created: true,
    });
  });

  it("falls back to a ready pull request where drafts are not allowed", async () => {
    searchOpen().reply(200, []);
    nock(API)
      .post("/repos/o/r/pulls", (body) => body.draft === true)
      .reply(422, { message: "Draft pull requests are not supported in this repository." })
      .post("/repos/o/r/pulls", (body) => body.draft === false)
      .reply(201, listed(5));
    await expect(upsertPullRequest(testOctokit(), repo, pull)).resolves.toMatchObject({
      number: 5,
      created: true,
    });
  });

  it("updates the open one instead of opening a second, and leaves it alone when unchanged", async () => {
    searchOpen().reply(200, [listed(3, "Old title")]);
    nock(API).patch("/repos/o/r/pulls/3", { title: "Fix typo", body: "Fixes #7" }).reply(200, listed(3));
    await expect(upsertPullRequest(testOctokit(), repo, pull)).resolves.toEqual({
      number: 3,
      url: "https://github.com/o/r/pull/3",
      created: false,
    });
    searchOpen().reply(200, [listed(3)]);
    await expect(upsertPullRequest(testOctokit(), repo, pull)).resolves.toMatchObject({ created: false });
  });

  it("finds the pull request a concurrent attempt opened", async () => {
    searchOpen().reply(200, []);
    nock(API)
      .post("/repos/o/r/pulls")
      .reply(422, {
        message: "Validation Failed",
        errors: [{ message: "A pull request already exists for o:agent/issue-7-typo." }],
      });
    searchOpen().reply(200, [listed(6)]);
    await expect(upsertPullRequest(testOctokit(), repo, pull)).resolves.toMatchObject({
      number: 6,
      created: false,
    });
  });

  it("explains a refused pull request", async () => {
    searchOpen().reply(200, []);
    nock(API)
      .post("/repos/o/r/pulls")
      .reply(422, {
        message: "Validation Failed",
        errors: [{ resource: "PullRequest", field: "base", code: "invalid" }],
      });
    await expect(upsertPullRequest(testOctokit(), repo, { ...pull, draft: false })).rejects.toThrow(
      "Could not open a pull request from agent/issue-7-typo: GitHub rejected it (422): Validation Failed; base invalid",
    );
  });

  it("requests a review, tolerating GitHub's refusal for the author", async () => {
    nock(API)
      .post("/repos/o/r/pulls/4/requested_reviewers", { reviewers: ["ann"] })
      .reply(201, {});
    await expect(requestReview(testOctokit(), repo, 4, "ann")).resolves.toBe(true);
    nock(API)
      .post("/repos/o/r/pulls/4/requested_reviewers")
      .reply(422, { message: "Review cannot be requested from pull request author." });
    await expect(requestReview(testOctokit(), repo, 4, "ann")).resolves.toBe(false);
    nock(API).post("/repos/o/r/pulls/4/requested_reviewers").reply(403, { message: "Forbidden" });
    await expect(requestReview(testOctokit(), repo, 4, "ann")).rejects.toThrow(
      "Could not request a review from ann on #4: the GitHub App lacks permission (403): Forbidden",
    );
  });

  it("reads a pull request's head, fork or not", async () => {
    nock(API)
      .get("/repos/o/r/pulls/9")
      .reply(200, {
        state: "open",
        head: { ref: "agent/x", sha: "abc", repo: null },
        base: { repo: { full_name: "o/r" } },
      });
    await expect(getPullRequestHead(testOctokit(), repo, 9)).resolves.toEqual({
      state: "open",
      headRef: "agent/x",
      headSha: "abc",
      headRepoFullName: undefined,
      baseRepoFullName: "o/r",
    });
  });
});
