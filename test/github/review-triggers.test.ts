import { describe, expect, it } from "vitest";
import { DEFAULT_REPO_CONFIG, parseRepoConfig, type RepoConfig } from "../../src/config/repo-config.ts";
import {
  automaticReview,
  parseReviewCommand,
  type ReviewPullPayload,
} from "../../src/github/review-triggers.ts";
import { classifyEvent, parseCommand } from "../../src/github/triggers.ts";
import { type Payload, webhookExample } from "../helpers/webhook-examples.ts";

const config = (review: Record<string, unknown> = {}): RepoConfig => parseRepoConfig({ review }).config;

function pull(overrides: Partial<ReviewPullPayload> = {}): ReviewPullPayload {
  return {
    number: 5,
    state: "open",
    draft: false,
    user: { login: "ann", type: "User" },
    labels: [],
    head: { ref: "feature", sha: "a".repeat(40), repo: { full_name: "o/r" } },
    base: { ref: "main", repo: { full_name: "o/r" } },
    ...overrides,
  };
}

describe("parseReviewCommand", () => {
  it.each([
    ["review", { type: "review", instructions: "" }],
    ["Review please look at the parser", { type: "review", instructions: "please look at the parser" }],
    ["review pause", { type: "review_switch", paused: true }],
    ["review resume.", { type: "review_switch", paused: false }],
    ["dismiss", { type: "dismiss", finding: undefined, reason: "" }],
    ["dismiss intended behaviour", { type: "dismiss", finding: undefined, reason: "intended behaviour" }],
    ["dismiss F12: handled upstream", { type: "dismiss", finding: 12, reason: "handled upstream" }],
  ])("%s", (rest, command) => {
    expect(parseReviewCommand(rest)).toEqual(command);
  });

  it("leaves other words alone", () => {
    expect(parseReviewCommand("reviewer notes")).toBeUndefined();
    expect(parseReviewCommand("fix the review code")).toBeUndefined();
  });

  it("is read by parseCommand after the command word", () => {
    expect(parseCommand("/agent review pause", "/agent")).toEqual({ type: "review_switch", paused: true });
    expect(parseCommand("/agent review\nfocus on errors", "/agent")).toEqual({
      type: "review",
      instructions: "focus on errors",
    });
  });
});

describe("automaticReview", () => {
  it("reviews opened, reopened and ready pull requests fully, pushes incrementally", () => {
    for (const action of ["opened", "reopened", "ready_for_review"]) {
      expect(automaticReview(action, pull(), DEFAULT_REPO_CONFIG)).toEqual({ mode: "full" });
    }
    expect(automaticReview("synchronize", pull(), DEFAULT_REPO_CONFIG)).toEqual({ mode: "incremental" });
    expect(automaticReview("edited", pull(), DEFAULT_REPO_CONFIG)).toEqual({
      skip: "pull_request.edited starts no review",
    });
  });

  it("follows review.auto, drafts, base_branches, skip_labels and skip_authors", () => {
    expect(automaticReview("opened", pull(), config({ auto: false }))).toMatchObject({
      skip: expect.stringContaining("review.auto"),
    });
    expect(automaticReview("opened", pull({ draft: true }), DEFAULT_REPO_CONFIG)).toMatchObject({
      skip: expect.stringContaining("draft"),
    });
    expect(automaticReview("opened", pull({ draft: true }), config({ drafts: true }))).toEqual({
      mode: "full",
    });
    const release = pull({ base: { ref: "release/1.2", repo: { full_name: "o/r" } } });
    expect(automaticReview("opened", release, config({ base_branches: ["main"] }))).toMatchObject({
      skip: expect.stringContaining("release/1.2"),
    });
    expect(automaticReview("opened", release, config({ base_branches: ["main", "release/*"] }))).toEqual({
      mode: "full",
    });
    const labelled = pull({ labels: [{ name: "No Review" }] });
    expect(automaticReview("opened", labelled, config({ skip_labels: ["no review"] }))).toMatchObject({
      skip: expect.stringContaining("No Review"),
    });
    expect(automaticReview("opened", pull(), config({ skip_authors: ["ANN"] }))).toMatchObject({
      skip: expect.stringContaining("skip_authors"),
    });
    expect(automaticReview("opened", pull({ state: "closed" }), DEFAULT_REPO_CONFIG)).toEqual({
      skip: "the pull request is not open",
    });
  });

  it("skips bots unless listed, and reviews Loopwright's own pull requests unless own_pulls is off", () => {
    const dependabot = pull({ user: { login: "dependabot[bot]", type: "Bot" } });
    expect(automaticReview("opened", dependabot, DEFAULT_REPO_CONFIG)).toMatchObject({
      skip: expect.stringContaining("review.bots"),
    });
    expect(automaticReview("opened", dependabot, config({ bots: ["dependabot[bot]"] }))).toEqual({
      mode: "full",
    });
    const own = pull({
      user: { login: "loopwright[bot]", type: "Bot" },
      head: { ref: "agent/issue-7-x", sha: "b".repeat(40), repo: { full_name: "o/r" } },
    });
    expect(automaticReview("opened", own, DEFAULT_REPO_CONFIG)).toEqual({ mode: "full" });
    expect(automaticReview("opened", own, config({ own_pulls: false }))).toMatchObject({
      skip: expect.stringContaining("own_pulls"),
    });
  });
});

describe("classifyEvent for reviews", () => {
  function pullRequestEvent(action: string, edit: (payload: Payload) => void = () => {}) {
    const payload = webhookExample("pull_request", "opened");
    payload.action = action;
    payload.pull_request.draft = false;
    edit(payload);
    return { id: "d-1", name: "pull_request", payload };
  }

  it("turns an opened pull request into a full review keyed on its head", () => {
    const trigger = classifyEvent(pullRequestEvent("opened"), DEFAULT_REPO_CONFIG);
    expect(trigger).toMatchObject({ kind: "review", mode: "full", number: 2, instructions: "" });
    if (trigger.kind !== "review") throw new Error("not a review");
    expect(trigger.source).toMatchObject({ type: "pull_request", action: "opened" });
    expect(trigger.pull).toMatchObject({ baseRef: "master", fork: false });
  });

  it("reviews a push even when a bot sent it, and marks a fork's head", () => {
    const trigger = classifyEvent(
      pullRequestEvent("synchronize", (payload) => {
        payload.sender = { login: "loopwright[bot]", type: "Bot" };
        payload.pull_request.head.repo.full_name = "someone/fork";
      }),
      DEFAULT_REPO_CONFIG,
    );
    expect(trigger).toMatchObject({ kind: "review", mode: "incremental", pull: { fork: true } });
  });

  it("reads /agent review, pause, resume and dismiss F<n> on a pull request, and refuses them on an issue", () => {
    const onPull = (body: string) => {
      const payload = webhookExample("issue_comment", "created");
      payload.comment.body = body;
      payload.issue.pull_request = { url: "https://api.github.com/repos/o/r/pulls/1" };
      return classifyEvent({ id: "d", name: "issue_comment", payload }, DEFAULT_REPO_CONFIG);
    };
    expect(onPull("/agent review")).toMatchObject({ kind: "review", mode: "full", pull: undefined });
    expect(onPull("/agent review pause")).toMatchObject({ kind: "review_switch", paused: true });
    expect(onPull("/agent review resume")).toMatchObject({ kind: "review_switch", paused: false });
    expect(onPull("/agent dismiss F2")).toMatchObject({ kind: "dismiss", finding: 2 });
    expect(onPull("/agent dismiss")).toMatchObject({ kind: "ignored", tellUser: true });
    const payload = webhookExample("issue_comment", "created");
    payload.comment.body = "/agent review";
    expect(classifyEvent({ id: "d", name: "issue_comment", payload }, DEFAULT_REPO_CONFIG)).toMatchObject({
      kind: "ignored",
      tellUser: true,
    });
  });

  it("reads /agent dismiss replied on a finding's thread", () => {
    const payload = webhookExample("pull_request_review_comment", "created");
    payload.comment.body = "/agent dismiss not reachable";
    payload.comment.in_reply_to_id = 777;
    expect(
      classifyEvent({ id: "d", name: "pull_request_review_comment", payload }, DEFAULT_REPO_CONFIG),
    ).toMatchObject({
      kind: "dismiss",
      inReplyTo: 777,
      finding: undefined,
      reason: "not reachable",
    });
    payload.comment.body = "looks fine";
    expect(
      classifyEvent({ id: "d", name: "pull_request_review_comment", payload }, DEFAULT_REPO_CONFIG),
    ).toMatchObject({
      kind: "ignored",
    });
  });
});
