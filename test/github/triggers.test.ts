import { describe, expect, it } from "vitest";
import { DEFAULT_REPO_CONFIG, parseRepoConfig } from "../../src/config/repo-config.ts";
import { classifyEvent, iterateRefusal, parseCommand } from "../../src/github/triggers.ts";
import { CLONE_URL, INSTALLATION_ID, type Payload, webhookExample } from "../helpers/webhook-examples.ts";

const config = DEFAULT_REPO_CONFIG;
const repo = {
  owner: "Codertocat",
  name: "Hello-World",
  fullName: "Codertocat/Hello-World",
  cloneUrl: CLONE_URL,
  defaultBranch: "master",
  installationId: INSTALLATION_ID,
};

function comment(body: string, adapt: (payload: Payload) => void = () => {}) {
  const payload = webhookExample("issue_comment", "created");
  payload.comment.body = body;
  adapt(payload);
  return classifyEvent({ id: "delivery-1", name: "issue_comment", payload }, config);
}

const onPullRequest = (payload: Payload) => {
  payload.issue.pull_request = { url: "https://api.github.com/repos/Codertocat/Hello-World/pulls/1" };
};

describe("parseCommand", () => {
  it.each([
    ["/agent fix", { type: "fix", instructions: "" }],
    ["/agent fix the typo", { type: "fix", instructions: "the typo" }],
    ["/agent fix: the typo", { type: "fix", instructions: "the typo" }],
    ["/agent fix, the typo", { type: "fix", instructions: "the typo" }],
    ["/agent fix:the typo", { type: "fix", instructions: "the typo" }],
    ["/agent fix. Then test", { type: "fix", instructions: "Then test" }],
    ["/agent fix!", { type: "fix", instructions: "" }],
    ["/Agent FIX", { type: "fix", instructions: "" }],
    ["\n\n  /agent fix\r\nAlso update docs.\r\n", { type: "fix", instructions: "Also update docs." }],
    ["/agent fix now\nand test", { type: "fix", instructions: "now\nand test" }],
    ["/agent rename foo to bar", { type: "instructions", instructions: "rename foo to bar" }],
    ["/agent add tests, then stop", { type: "instructions", instructions: "add tests, then stop" }],
    ["/agent", { type: "instructions", instructions: "" }],
    ["/agent stop", { type: "stop" }],
    ["/agent STOP.", { type: "stop" }],
    ["/agent stop the crash on start", { type: "instructions", instructions: "stop the crash on start" }],
    ["/agent help", { type: "help" }],
    ["/agent help?\nmore text", { type: "help" }],
  ])("%j", (body, expected) => {
    expect(parseCommand(body, "/agent")).toEqual(expected);
  });

  it.each([
    ["/agent fixing", "fixing", "fix"],
    ["/agent fixed", "fixed", "fix"],
    ["/agent fixes the crash", "fixes", "fix"],
    ["/agent fx", "fx", "fix"],
    ["/agent fixx", "fixx", "fix"],
    ["/agent Fixing: the crash", "Fixing", "fix"],
    ["/agent fixup the import", "fixup", "fix"],
    ["/agent fix.js is broken", "fix.js", "fix"],
    ["/agent stopp", "stopp", "stop"],
    ["/agent stopped?", "stopped", "stop"],
    ["/agent halp", "halp", "help"],
    ["/agent halp!\nplease", "halp", "help"],
  ])("starts nothing for the slip %j", (body, typed, meant) => {
    expect(parseCommand(body, "/agent")).toEqual({ type: "near_miss", typed, meant });
  });

  it.each([
    ["", "the comment is empty"],
    ["   \n  ", "the comment is empty"],
    ["Please /agent fix", "the comment does not start with /agent"],
    ["/agents fix", "the comment does not start with /agent"],
    ["/agentfix", "the comment does not start with /agent"],
    ["    /agent fix", "the command is inside a code block"],
    ["\t/agent fix", "the command is inside a code block"],
    ["```\n/agent fix\n```", "the comment starts with a code block"],
    ["~~~\n/agent fix\n~~~", "the comment starts with a code block"],
    ["> /agent fix", "the comment starts with a quote"],
    ["  > /agent fix", "the comment starts with a quote"],
  ])("ignores %j", (body, reason) => {
    expect(parseCommand(body, "/agent")).toEqual({ type: "none", reason });
  });

  it("uses the configured command word, regular-expression characters included", () => {
    expect(parseCommand("/bot fix", "/bot")).toEqual({ type: "fix", instructions: "" });
    expect(parseCommand("/agent fix", "/bot").type).toBe("none");
    expect(parseCommand("/a-b fix", "/a-b").type).toBe("fix");
  });
});

describe("classifyEvent: issue comments", () => {
  it("turns /agent fix on an issue into a fix request with everything a worker needs", () => {
    expect(comment("/agent fix\nKeep the API.")).toEqual({
      kind: "fix",
      repo,
      number: 1,
      requester: "Codertocat",
      source: { type: "comment", commentId: 492700400 },
      deliveryId: "delivery-1",
      instructions: "Keep the API.",
    });
  });

  it("turns /agent <instructions> on an issue into a fix request", () => {
    expect(comment("/agent use a Map here")).toMatchObject({ kind: "fix", instructions: "use a Map here" });
  });

  it("turns /agent <instructions> on a pull request into an iterate request whose head is still unknown", () => {
    expect(comment("/agent also cover the empty case", onPullRequest)).toMatchObject({
      kind: "iterate",
      instructions: "also cover the empty case",
      head: undefined,
      number: 1,
    });
    expect(comment("/agent fix the lint errors", onPullRequest)).toMatchObject({
      kind: "iterate",
      instructions: "the lint errors",
    });
  });

  it("asks for instructions when /agent alone is said on a pull request", () => {
    expect(comment("/agent", onPullRequest)).toEqual({
      kind: "ignored",
      reason: "say what to change: /agent <instructions>",
      tellUser: true,
    });
  });

  it("turns a slip of a command word into a near miss that names what was meant, on issues and pull requests", () => {
    expect(comment("/agent fixing this later")).toEqual({
      kind: "near_miss",
      repo,
      number: 1,
      requester: "Codertocat",
      source: { type: "comment", commentId: 492700400 },
      deliveryId: "delivery-1",
      typed: "fixing",
      meant: "fix",
    });
    expect(comment("/agent stopp", onPullRequest)).toMatchObject({ kind: "near_miss", meant: "stop" });
  });

  it("maps stop and help on issues and pull requests", () => {
    expect(comment("/agent stop")).toMatchObject({ kind: "cancel", number: 1, requester: "Codertocat" });
    expect(comment("/agent stop", onPullRequest)).toMatchObject({ kind: "cancel" });
    expect(comment("/agent help")).toMatchObject({
      kind: "help",
      source: { type: "comment", commentId: 492700400 },
    });
  });

  it("refuses work on closed issues and pull requests, but still stops and helps there", () => {
    const closed = (payload: Payload) => {
      payload.issue.state = "closed";
    };
    expect(comment("/agent fix", closed)).toEqual({
      kind: "ignored",
      reason: "this issue is closed; reopen it to run /agent",
      tellUser: true,
    });
    expect(
      comment("/agent more", (payload) => {
        closed(payload);
        onPullRequest(payload);
      }),
    ).toMatchObject({ kind: "ignored", reason: "this pull request is closed; reopen it to run /agent" });
    expect(comment("/agent stop", closed)).toMatchObject({ kind: "cancel" });
    expect(comment("/agent help", closed)).toMatchObject({ kind: "help" });
  });

  it.each(["edited", "deleted"])("ignores %s comments", (action) => {
    const payload = webhookExample("issue_comment", action);
    payload.comment.body = "/agent fix";
    expect(classifyEvent({ name: "issue_comment", payload }, config)).toEqual({
      kind: "ignored",
      reason: `comment ${action}, only new comments count`,
      tellUser: false,
    });
  });

  it("ignores bots, Loopwright included, by type or by [bot] login", () => {
    const bot = comment("/agent fix", (payload) => {
      payload.sender.type = "Bot";
      payload.sender.login = "loopwright[bot]";
    });
    expect(bot).toEqual({ kind: "ignored", reason: "sent by a bot (loopwright[bot])", tellUser: false });
    expect(comment("/agent fix", (payload) => (payload.sender.login = "renovate[bot]"))).toMatchObject({
      kind: "ignored",
      reason: "sent by a bot (renovate[bot])",
    });
  });

  it("ignores plain comments and commands in code or quotes", () => {
    expect(comment("Looks good")).toMatchObject({ kind: "ignored", tellUser: false });
    expect(comment("> /agent fix\nI agree")).toMatchObject({ reason: "the comment starts with a quote" });
    expect(comment("```\n/agent fix\n```")).toMatchObject({ reason: "the comment starts with a code block" });
    expect(comment("", (payload) => (payload.comment.body = null))).toMatchObject({ kind: "ignored" });
  });

  it("uses the configured command word", () => {
    const custom = parseRepoConfig({ fix: { command: "/bot" } }).config;
    const payload = webhookExample("issue_comment", "created");
    payload.comment.body = "/bot fix";
    expect(classifyEvent({ name: "issue_comment", payload }, custom)).toMatchObject({ kind: "fix" });
    payload.comment.body = "/agent fix";
    expect(classifyEvent({ name: "issue_comment", payload }, custom)).toMatchObject({ kind: "ignored" });
  });
});

describe("classifyEvent: labels and closing", () => {
  const labeled = (name: string, adapt: (payload: Payload) => void = () => {}) => {
    const payload = webhookExample("issues", "labeled");
    payload.label.name = name;
    adapt(payload);
    return classifyEvent({ id: "d2", name: "issues", payload }, config);
  };

  it("turns the agent:fix label into a fix request", () => {
    expect(labeled("agent:fix")).toEqual({
      kind: "fix",
      repo,
      number: 1,
      requester: "Codertocat",
      source: { type: "label", label: "agent:fix", issueUpdatedAt: "2019-05-15T15:20:18Z" },
      deliveryId: "d2",
      instructions: "",
    });
    expect(labeled("Agent:Fix")).toMatchObject({ kind: "fix" });
  });

  it("ignores other labels, closed issues and bots", () => {
    expect(labeled("bug")).toEqual({
      kind: "ignored",
      reason: "label bug is not agent:fix",
      tellUser: false,
    });
    expect(labeled("agent:fix", (payload) => (payload.issue.state = "closed"))).toMatchObject({
      reason: "label added to a closed issue",
    });
    expect(labeled("agent:fix", (payload) => (payload.sender.type = "Bot"))).toMatchObject({
      kind: "ignored",
    });
    const custom = parseRepoConfig({ fix: { label: "robot" } }).config;
    const payload = webhookExample("issues", "labeled");
    payload.label.name = "robot";
    expect(classifyEvent({ name: "issues", payload }, custom)).toMatchObject({ kind: "fix" });
  });

  it("ignores other issue actions", () => {
    const payload = webhookExample("issues", "opened");
    expect(classifyEvent({ name: "issues", payload }, config)).toMatchObject({
      kind: "ignored",
      reason: "issues.opened starts nothing",
    });
  });

  it("cancels the task of a closed issue or pull request, even when a bot closed it", () => {
    const issue = webhookExample("issues", "labeled");
    issue.action = "closed";
    issue.sender.type = "Bot";
    expect(classifyEvent({ name: "issues", payload: issue }, config)).toMatchObject({
      kind: "cancel",
      number: 1,
      source: { type: "closed" },
    });
    const pullRequest = webhookExample("pull_request", "closed");
    expect(classifyEvent({ id: "d3", name: "pull_request", payload: pullRequest }, config)).toMatchObject({
      kind: "cancel",
      number: 2,
      source: { type: "closed" },
      deliveryId: "d3",
    });
    const edited = webhookExample("pull_request", "opened");
    edited.action = "edited";
    expect(classifyEvent({ name: "pull_request", payload: edited }, config)).toMatchObject({
      kind: "ignored",
    });
  });
});

describe("classifyEvent: reviews", () => {
  const review = (adapt: (payload: Payload) => void = () => {}) => {
    const payload = webhookExample("pull_request_review", "submitted");
    payload.review.state = "changes_requested";
    payload.review.body = "Please handle null.";
    payload.pull_request.head.ref = "agent/issue-1-typo";
    adapt(payload);
    return classifyEvent({ id: "d4", name: "pull_request_review", payload }, config);
  };

  it("turns changes requested on a Loopwright pull request into an iterate request with its head", () => {
    expect(review()).toEqual({
      kind: "iterate",
      repo,
      number: 2,
      requester: "Codertocat",
      source: { type: "review", reviewId: 237895671 },
      deliveryId: "d4",
      instructions: "Please handle null.",
      head: { ref: "agent/issue-1-typo", sha: expect.stringMatching(/^[0-9a-f]{40}$/) },
    });
  });

  it("ignores other review states, dismissed reviews and closed pull requests", () => {
    expect(review((payload) => (payload.review.state = "approved"))).toMatchObject({ kind: "ignored" });
    expect(review((payload) => (payload.review.state = "commented"))).toMatchObject({ kind: "ignored" });
    expect(review((payload) => (payload.action = "dismissed"))).toMatchObject({ kind: "ignored" });
    expect(review((payload) => (payload.pull_request.state = "closed"))).toMatchObject({ kind: "ignored" });
    expect(review((payload) => (payload.sender.login = "loopwright[bot]"))).toMatchObject({
      kind: "ignored",
    });
  });

  it("stays silent on reviews of people's own pull requests, forks included", () => {
    const outside = review((payload) => (payload.pull_request.head.ref = "feature"));
    expect(outside).toMatchObject({ kind: "ignored", tellUser: false });
    const fork = review((payload) => (payload.pull_request.head.repo.full_name = "someone/Hello-World"));
    expect(fork).toMatchObject({ kind: "ignored", tellUser: false, reason: expect.stringContaining("fork") });
    const deletedFork = review((payload) => (payload.pull_request.head.repo = null));
    expect(deletedFork).toMatchObject({ kind: "ignored", tellUser: false });
  });
});

describe("iterateRefusal", () => {
  const own = { headRef: "agent/issue-3-x", headRepoFullName: "o/r", baseRepoFullName: "o/r" };

  it("allows the app's own branches", () => {
    expect(iterateRefusal(own, config)).toBeUndefined();
  });

  it("refuses forks and branches outside the prefix, with a reason for the user", () => {
    expect(iterateRefusal({ ...own, headRepoFullName: "fork/r" }, config)).toEqual({
      kind: "ignored",
      reason:
        "this pull request comes from a fork; Loopwright only pushes follow-up commits to its own branches",
      tellUser: true,
    });
    expect(iterateRefusal({ ...own, headRepoFullName: undefined }, config)?.tellUser).toBe(true);
    expect(iterateRefusal({ ...own, headRef: "feature/x" }, config)).toEqual({
      kind: "ignored",
      reason: "this pull request's branch is not under agent/; Loopwright only pushes to its own branches",
      tellUser: true,
    });
    const custom = parseRepoConfig({ fix: { branch_prefix: "bots/" } }).config;
    expect(iterateRefusal(own, custom)?.kind).toBe("ignored");
  });
});

describe("classifyEvent: malformed input", () => {
  it.each([
    ["issue_comment", null],
    ["issue_comment", "text"],
    ["issue_comment", { action: "created" }],
    ["issues", { action: "labeled", repository: {} }],
    ["pull_request_review", []],
  ])("%s with %j is ignored with a reason, never a crash", (name, payload) => {
    const result = classifyEvent({ name, payload }, config);
    expect(result).toMatchObject({ kind: "ignored", tellUser: false });
    expect((result as { reason: string }).reason).toMatch(/payload is malformed/);
  });

  it("ignores events without an installation and unrelated events", () => {
    const payload = webhookExample("issue_comment", "created");
    payload.comment.body = "/agent fix";
    delete payload.installation;
    expect(classifyEvent({ name: "issue_comment", payload }, config)).toMatchObject({
      reason: "the issue_comment event carries no installation id",
    });
    expect(classifyEvent({ name: "push", payload: {} }, config)).toMatchObject({
      reason: "push events start nothing",
    });
  });
});
