import nock from "nock";
import type { Probot } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type {
  FoundFinding,
  NewReviewTask,
  ReviewIntakeDependencies,
} from "../../src/github/review-intake.ts";
import type { NewGitHubTask, WebhookDependencies } from "../../src/github/webhook-handler.ts";
import { createApp } from "../../src/index.ts";
import { testProbot } from "../helpers/probot.ts";
import { type Payload, webhookExample } from "../helpers/webhook-examples.ts";

const API = "https://api.github.com";
const REPO = "/repos/Codertocat/Hello-World";

type FakeReviews = ReviewIntakeDependencies & {
  submitted: NewReviewTask[];
  paused: Set<number>;
  dismissed: unknown[];
};

const FINDING: FoundFinding = {
  ordinal: 4,
  title: "half() doubles its argument",
  body: "`half(4)` returns 8.",
  priority: "P1",
  path: "math.js",
  startLine: 5,
  endLine: 5,
  side: "RIGHT",
  status: "open",
};

function fakeReviews(): FakeReviews {
  const byEvent = new Map<string, number>();
  const fake: FakeReviews = {
    submitted: [],
    paused: new Set(),
    dismissed: [],
    async submitReview(task) {
      const existing = byEvent.get(task.eventKey);
      if (existing !== undefined) return { taskId: existing, created: false };
      fake.submitted.push(task);
      byEvent.set(task.eventKey, fake.submitted.length);
      return { taskId: fake.submitted.length, created: true };
    },
    async reviewPaused(_repository, number) {
      return fake.paused.has(number);
    },
    async setReviewPaused(_repository, number, paused) {
      if (paused) fake.paused.add(number);
      else fake.paused.delete(number);
    },
    async findFinding(_repository, _number, ref) {
      const ordinal = "ordinal" in ref ? ref.ordinal : ref.commentId === 321 ? 4 : undefined;
      return ordinal === undefined ? undefined : { ...FINDING, ordinal };
    },
    async dismissFinding(repository, number, ref, by) {
      fake.dismissed.push({ repository, number, ref, by });
      return "ordinal" in ref ? ref.ordinal : 4;
    },
  };
  return fake;
}

function noConfigFile(times = 1): void {
  nock(API)
    .get(/\/repos\/Codertocat\/(Hello-World|\.github)\/contents\/\.github%2Floopwright\.yml/)
    .times(2 * times)
    .reply(404, { message: "Not Found" });
}

function permission(level: "write" | "read"): void {
  nock(API)
    .get(`${REPO}/collaborators/Codertocat/permission`)
    .reply(200, { permission: level, role_name: level, user: { login: "Codertocat" } });
}

function pullRequest(action: string, edit: (payload: Payload) => void = () => {}): Payload {
  const payload = webhookExample("pull_request", "opened");
  payload.action = action;
  payload.pull_request.draft = false;
  edit(payload);
  return payload;
}

function prComment(body: string): Payload {
  const payload = webhookExample("issue_comment", "created");
  payload.comment.body = body;
  payload.issue.pull_request = { url: `${API}${REPO}/pulls/1` };
  return payload;
}

/** The reply the handler posts once (it first looks for its marker among the comments). */
function expectReply(number: number, text: RegExp): nock.Scope {
  nock(API).get(`${REPO}/issues/${number}/comments`).query(true).reply(200, []);
  return nock(API)
    .post(`${REPO}/issues/${number}/comments`, (body) => text.test(body.body))
    .reply(201, { id: 9, body: "", html_url: "" });
}

describe("review webhooks", () => {
  let probot: Probot;
  let reviews: FakeReviews;
  let spent: number;
  let tasks: NewGitHubTask[];
  let delivery = 0;
  const receive = (name: string, payload: Payload) =>
    probot.receive({ id: `review-delivery-${++delivery}`, name, payload } as never);

  function load(withReviews = true): void {
    const deps: WebhookDependencies = {
      submitTask: async (task) => {
        tasks.push(task);
        return { taskId: 100 + tasks.length, created: true };
      },
      cancelTasks: async () => 0,
      tokensToday: async () => spent,
      ...(withReviews && { reviews }),
    };
    probot = testProbot();
    probot.load(createApp(deps));
  }

  beforeEach(() => {
    nock.disableNetConnect();
    reviews = fakeReviews();
    spent = 0;
    tasks = [];
    load();
  });

  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    nock.enableNetConnect();
    expect(pending).toEqual([]);
  });

  it("queues a full review for an opened pull request, without a requester check, limits or reply", async () => {
    noConfigFile();
    await receive("pull_request", pullRequest("opened"));
    expect(reviews.submitted).toHaveLength(1);
    const [task] = reviews.submitted;
    expect(task).toMatchObject({
      number: 2,
      trigger: "pull_request",
      limits: undefined,
      eventKey: expect.stringMatching(/^pull_request:Codertocat\/Hello-World#2:opened:[0-9a-f]{40}$/),
      input: { review: { mode: "full", pull: { baseRef: "master", fork: false } } },
    });
  });

  it("reviews a push incrementally, once per head even when delivered twice", async () => {
    noConfigFile(2);
    const push = pullRequest("synchronize");
    await receive("pull_request", push);
    await receive("pull_request", push);
    expect(reviews.submitted).toHaveLength(1);
    expect(reviews.submitted[0]?.input.review.mode).toBe("incremental");
  });

  it("marks a fork's pull request, and skips drafts", async () => {
    noConfigFile(2);
    await receive(
      "pull_request",
      pullRequest("opened", (payload) => {
        payload.pull_request.head.repo.full_name = "stranger/Hello-World";
      }),
    );
    await receive(
      "pull_request",
      pullRequest("opened", (payload) => {
        payload.pull_request.draft = true;
      }),
    );
    expect(reviews.submitted).toHaveLength(1);
    expect(reviews.submitted[0]?.input.review.pull.fork).toBe(true);
  });

  it("pauses and resumes a pull request's automatic reviews on a writer's command", async () => {
    noConfigFile();
    permission("write");
    const paused = expectReply(1, /automatic reviews of this pull request are paused/);
    await receive("issue_comment", prComment("/agent review pause"));
    expect(paused.isDone()).toBe(true);
    expect(reviews.paused.has(1)).toBe(true);

    noConfigFile();
    await receive(
      "pull_request",
      pullRequest("synchronize", (payload) => {
        payload.pull_request.number = 1;
      }),
    );
    expect(reviews.submitted).toEqual([]);

    noConfigFile();
    permission("write");
    const resumed = expectReply(1, /on again/);
    await receive("issue_comment", prComment("/agent review resume"));
    expect(resumed.isDone()).toBe(true);
    expect(reviews.paused.has(1)).toBe(false);
  });

  it("reviews on /agent review (even while paused), reading the pull request, with the limits and 👀", async () => {
    reviews.paused.add(1);
    noConfigFile();
    permission("write");
    const pull = pullRequest("opened").pull_request;
    pull.number = 1;
    nock(API).get(`${REPO}/pulls/1`).reply(200, pull);
    const eyes = nock(API).post(`${REPO}/issues/comments/492700400/reactions`).reply(201, {});
    await receive("issue_comment", prComment("/agent review\nlook at the error handling"));
    expect(eyes.isDone()).toBe(true);
    expect(reviews.submitted).toHaveLength(1);
    expect(reviews.submitted[0]).toMatchObject({
      trigger: "comment",
      eventKey: "comment:492700400",
      limits: { perRequesterPerHour: 10 },
      input: { instructions: "look at the error handling", review: { mode: "full" } },
    });
  });

  it("refuses /agent review from a user without write access", async () => {
    noConfigFile();
    permission("read");
    const reply = expectReply(1, /only users with write, maintain or admin access/);
    await receive("issue_comment", prComment("/agent review"));
    expect(reply.isDone()).toBe(true);
    expect(reviews.submitted).toEqual([]);
  });

  it("dismisses a finding named on the pull request or replied on its thread", async () => {
    noConfigFile();
    permission("write");
    const named = expectReply(1, /F3 is dismissed/);
    await receive("issue_comment", prComment("/agent dismiss F3 intended"));
    expect(named.isDone()).toBe(true);

    noConfigFile();
    permission("write");
    const payload = webhookExample("pull_request_review_comment", "created");
    payload.comment.body = "/agent dismiss";
    payload.comment.in_reply_to_id = 321;
    const number = payload.pull_request.number;
    const threadReply = nock(API)
      .post(`${REPO}/pulls/${number}/comments/321/replies`, (body) => /F4 is dismissed/.test(body.body))
      .reply(201, {});
    await receive("pull_request_review_comment", payload);
    expect(threadReply.isDone()).toBe(true);
    expect(reviews.dismissed).toEqual([
      { repository: "Codertocat/Hello-World", number: 1, ref: { ordinal: 3 }, by: "Codertocat" },
      { repository: "Codertocat/Hello-World", number, ref: { commentId: 321 }, by: "Codertocat" },
    ]);
  });

  it("starts no review over the daily token budget: silently when automatic, with a reply when asked", async () => {
    spent = 20_000_000;
    noConfigFile();
    await receive("pull_request", pullRequest("opened"));
    noConfigFile();
    permission("write");
    const pull = pullRequest("opened").pull_request;
    nock(API).get(`${REPO}/pulls/1`).reply(200, pull);
    const reply = expectReply(1, /daily budget/);
    await receive("issue_comment", prComment("/agent review"));
    expect(reply.isDone()).toBe(true);
    expect(reviews.submitted).toEqual([]);
  });

  /** The pull request as `pulls.get` answers it: Loopwright's own, a person's, or a fork's. */
  function pullHead(number: number, kind: "own" | "person" | "fork"): void {
    nock(API)
      .get(`${REPO}/pulls/${number}`)
      .reply(200, {
        number,
        state: "open",
        head: {
          ref: kind === "own" ? "agent/issue-9-x" : "feature",
          sha: "c".repeat(40),
          repo: { full_name: kind === "fork" ? "stranger/Hello-World" : "Codertocat/Hello-World" },
        },
        base: { ref: "master", repo: { full_name: "Codertocat/Hello-World" } },
      });
  }

  function threadReply(body: string): Payload {
    const payload = webhookExample("pull_request_review_comment", "created");
    payload.comment.body = body;
    payload.comment.in_reply_to_id = 321;
    return payload;
  }

  it("hands a finding replied `/agent fix` on to an iterate task on Loopwright's own pull request", async () => {
    noConfigFile();
    permission("write");
    const payload = threadReply("/agent fix\nkeep the signature");
    pullHead(payload.pull_request.number, "own");
    const eyes = nock(API).post(`${REPO}/pulls/comments/${payload.comment.id}/reactions`).reply(201, {});
    await receive("pull_request_review_comment", payload);
    expect(eyes.isDone()).toBe(true);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      kind: "iterate",
      input: { head: { ref: "agent/issue-9-x", sha: "c".repeat(40) } },
    });
    expect(tasks[0]?.input.instructions).toContain(
      "Fix finding F4 (P1) of Loopwright's review: half() doubles its argument",
    );
    expect(tasks[0]?.input.instructions).toContain("In math.js, line 5");
    expect(tasks[0]?.input.instructions).toContain("keep the signature");
  });

  it("fixes a finding of someone else's pull request in a new pull request into its branch", async () => {
    noConfigFile();
    permission("write");
    pullHead(1, "person");
    nock(API).post(`${REPO}/issues/comments/492700400/reactions`).reply(201, {});
    await receive("issue_comment", prComment("/agent fix F2"));
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ kind: "fix", number: 1, input: { base: { ref: "feature" } } });
    expect(tasks[0]?.input.instructions).toContain("Fix finding F2");
  });

  it("says why a finding on a fork's pull request cannot be fixed", async () => {
    noConfigFile();
    permission("write");
    pullHead(1, "fork");
    const reply = expectReply(1, /comes from a fork/);
    await receive("issue_comment", prComment("/agent fix F2"));
    expect(reply.isDone()).toBe(true);
    expect(tasks).toEqual([]);
  });

  it("says so when this server has no review store", async () => {
    load(false);
    noConfigFile();
    permission("write");
    const reply = nock(API)
      .post(`${REPO}/issues/1/comments`, (body) => /reviews are not set up/.test(body.body))
      .reply(201, { id: 9, body: "", html_url: "" });
    await receive("issue_comment", prComment("/agent review"));
    expect(reply.isDone()).toBe(true);
  });
});
