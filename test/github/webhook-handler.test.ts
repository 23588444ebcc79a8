import nock from "nock";
import type { Probot } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { marker } from "../../src/github/markdown.ts";
import type { NewGitHubTask, WebhookDependencies } from "../../src/github/webhook-handler.ts";
import { createApp } from "../../src/index.ts";
import type { LimitRefusal } from "../../src/store/task-limits.ts";
import { testProbot } from "../helpers/probot.ts";
import { INSTALLATION_ID, type Payload, webhookExample } from "../helpers/webhook-examples.ts";

const API = "https://api.github.com";
const REPO = "/repos/Codertocat/Hello-World";

type FakeStore = WebhookDependencies & {
  submitted: NewGitHubTask[];
  cancelled: [string, number][];
  spent: number;
  /** Unfinished tasks by issue number, as the database's one-task-per-issue rule sees them. */
  active: Map<number, number>;
  /** When set, every new request is over this limit. */
  refusal: LimitRefusal | undefined;
};

/** The store's decisions, in the store's order: the same event, a busy issue, a limit, a new task. */
function fakeStore(): FakeStore {
  const byEvent = new Map<string, number>();
  const store: FakeStore = {
    submitted: [],
    cancelled: [],
    spent: 0,
    active: new Map(),
    refusal: undefined,
    async submitTask(task) {
      const existing = byEvent.get(task.eventKey);
      if (existing !== undefined) return { taskId: existing, created: false };
      const activeTaskId = store.active.get(task.number);
      if (activeTaskId !== undefined) return { status: "busy", activeTaskId };
      if (store.refusal) return { status: "limited", refusal: store.refusal };
      store.submitted.push(task);
      const taskId = store.submitted.length;
      byEvent.set(task.eventKey, taskId);
      store.active.set(task.number, taskId);
      return { taskId, created: true };
    },
    async cancelTasks(repository, number) {
      store.cancelled.push([repository, number]);
      return 1;
    },
    async tokensToday() {
      return store.spent;
    },
  };
  return store;
}

/** The repository has no .github/loopwright.yml unless a test says otherwise (Probot also asks the org's .github repo). */
function noConfigFile(): void {
  nock(API)
    .get(/\/repos\/Codertocat\/(Hello-World|\.github)\/contents\/\.github%2Floopwright\.yml/)
    .times(2)
    .reply(404, { message: "Not Found" });
}

function permission(login: string, level: "admin" | "write" | "read" | "none"): void {
  nock(API)
    .get(`${REPO}/collaborators/${login}/permission`)
    .reply(200, { permission: level, role_name: level, user: { login } });
}

function comment(body: string, overrides: (payload: Payload) => void = () => {}): Payload {
  const payload = webhookExample("issue_comment", "created");
  payload.comment.body = body;
  overrides(payload);
  return payload;
}

describe("webhook handlers", () => {
  let probot: Probot;
  let store: FakeStore;
  let delivery = 0;

  const receive = (name: string, payload: Payload, id = `delivery-${++delivery}`) =>
    probot.receive({ id, name, payload } as never);

  beforeEach(() => {
    nock.disableNetConnect();
    store = fakeStore();
    probot = testProbot();
    probot.load(createApp(store));
  });

  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    nock.enableNetConnect();
    expect(pending).toEqual([]);
  });

  it("queues a fix task for /agent fix from a writer and reacts with 👀", async () => {
    noConfigFile();
    permission("Codertocat", "write");
    const reaction = nock(API)
      .post(`${REPO}/issues/comments/492700400/reactions`, { content: "eyes" })
      .reply(201, {});
    await receive("issue_comment", comment("/agent fix please keep the API stable\nmore context"));
    expect(store.submitted).toHaveLength(1);
    expect(store.submitted[0]).toMatchObject({
      kind: "fix",
      repository: "Codertocat/Hello-World",
      installationId: INSTALLATION_ID,
      number: 1,
      requester: "Codertocat",
      trigger: "comment",
      event: "issue_comment",
      eventKey: "comment:492700400",
      limits: { perRequesterPerHour: 10, perRepositoryPerHour: 30, perRequesterActive: 3 },
      input: { commentId: 492700400, defaultBranch: "master" },
    });
    expect(store.submitted[0]?.input.instructions).toContain("please keep the API stable");
    expect(store.submitted[0]?.input.config.fix.command).toBe("/agent");
    expect(reaction.isDone()).toBe(true);
  });

  it("queues a fix task when the agent:fix label is added", async () => {
    noConfigFile();
    permission("Codertocat", "admin");
    const payload = webhookExample("issues", "labeled");
    payload.label.name = "agent:fix";
    await receive("issues", payload);
    expect(store.submitted).toEqual([
      expect.objectContaining({
        kind: "fix",
        trigger: "label",
        number: 1,
        eventKey: "label:Codertocat/Hello-World#1:agent:fix:2019-05-15T15:20:18Z",
      }),
    ]);
  });

  it("answers a user without write access once, and queues nothing", async () => {
    noConfigFile();
    permission("Codertocat", "read");
    nock(API).get(`${REPO}/issues/1/comments`).query(true).reply(200, []);
    const reply = nock(API)
      .post(`${REPO}/issues/1/comments`, (body) =>
        /only users with write, maintain or admin access/.test(body.body),
      )
      .reply(201, { id: 5, body: "", html_url: "" });
    await receive("issue_comment", comment("/agent fix"));
    expect(store.submitted).toEqual([]);
    expect(reply.isDone()).toBe(true);
  });

  it("ignores bots, edited comments and commands inside code blocks or quotes", async () => {
    const bot = comment("/agent fix", (payload) => {
      payload.sender.type = "Bot";
      payload.sender.login = "loopwright[bot]";
      payload.comment.user.type = "Bot";
      payload.comment.user.login = "loopwright[bot]";
    });
    noConfigFile();
    await receive("issue_comment", bot);
    const edited = comment("/agent fix");
    edited.action = "edited";
    await receive("issue_comment", edited);
    noConfigFile();
    await receive("issue_comment", comment("Try this:\n```\n/agent fix\n```"));
    noConfigFile();
    await receive("issue_comment", comment("> /agent fix\nlike they said"));
    expect(store.submitted).toEqual([]);
  });

  it("creates one task for a comment delivered again, under the same or a new delivery id, silently", async () => {
    for (let copy = 0; copy < 3; copy++) {
      noConfigFile();
      permission("Codertocat", "write");
    }
    nock(API).post(`${REPO}/issues/comments/492700400/reactions`).reply(201, {});
    await receive("issue_comment", comment("/agent fix"), "same-delivery");
    await receive("issue_comment", comment("/agent fix"), "same-delivery");
    await receive("issue_comment", comment("/agent fix"), "replayed-under-a-new-id");
    expect(store.submitted).toHaveLength(1);
  });

  it("answers a slip of a command word with 'did you mean', starting nothing", async () => {
    noConfigFile();
    permission("Codertocat", "write");
    nock(API).get(`${REPO}/issues/1/comments`).query(true).reply(200, []);
    const reply = nock(API)
      .post(
        `${REPO}/issues/1/comments`,
        (body) =>
          body.body.includes("did you mean `/agent fix`?") && body.body.includes("`/agent fix fixing …`"),
      )
      .reply(201, { id: 11, body: "", html_url: "" });
    await receive("issue_comment", comment("/agent fixing the flaky test later"));
    expect(store.submitted).toEqual([]);
    expect(reply.isDone()).toBe(true);
  });

  it("answers a slip from someone without write access only with who can run it", async () => {
    noConfigFile();
    permission("Codertocat", "read");
    nock(API).get(`${REPO}/issues/1/comments`).query(true).reply(200, []);
    const reply = nock(API)
      .post(`${REPO}/issues/1/comments`, (body) => /only users with write/.test(body.body))
      .reply(201, { id: 12, body: "", html_url: "" });
    await receive("issue_comment", comment("/agent stopp"));
    expect(reply.isDone()).toBe(true);
  });

  it("tells a second request on a busy issue which task works on it and how to stop it", async () => {
    store.active.set(1, 41);
    noConfigFile();
    permission("Codertocat", "write");
    nock(API).get(`${REPO}/issues/1/comments`).query(true).reply(200, []);
    const reply = nock(API)
      .post(
        `${REPO}/issues/1/comments`,
        (body) =>
          body.body.includes("already working on this issue (task 41)") &&
          body.body.includes("Comment `/agent stop` to stop task 41") &&
          body.body.includes(marker("refused", "comment:492700400")),
      )
      .reply(201, { id: 13, body: "", html_url: "" });
    await receive("issue_comment", comment("/agent fix"));
    expect(store.submitted).toEqual([]);
    expect(reply.isDone()).toBe(true);
  });

  it("answers a request over a limit once, naming the limit and when it frees up", async () => {
    store.refusal = {
      limit: "per_requester_per_hour",
      max: 10,
      freesAt: new Date("2026-05-01T15:00:10Z"),
    };
    for (let copy = 0; copy < 2; copy++) {
      noConfigFile();
      permission("Codertocat", "write");
    }
    let posted = "";
    nock(API).get(`${REPO}/issues/1/comments`).query(true).reply(200, []);
    nock(API)
      .post(`${REPO}/issues/1/comments`, (body) => {
        posted = body.body;
        return true;
      })
      .reply(201, { id: 14, body: "", html_url: "" });
    await receive("issue_comment", comment("/agent fix"));
    expect(posted).toContain("@&#8203;Codertocat started 10 tasks in this repository within the last hour");
    expect(posted).toContain("`limits.per_requester_per_hour`");
    expect(posted).toContain("Ask again after 2026-05-01 15:01 UTC.");
    // The same event again finds the reply by its marker and posts nothing more.
    nock(API)
      .get(`${REPO}/issues/1/comments`)
      .query(true)
      .reply(200, [{ id: 14, body: posted, user: { login: "loopwright[bot]", type: "Bot" }, html_url: "" }]);
    await receive("issue_comment", comment("/agent fix"), "replayed");
    expect(store.submitted).toEqual([]);
  });

  it("stops the running task on /agent stop from a writer", async () => {
    noConfigFile();
    nock(API)
      .get(`${REPO}/collaborators/Codertocat/permission`)
      .reply(200, { permission: "write", role_name: "maintain", user: { login: "Codertocat" } });
    await receive("issue_comment", comment("/agent stop"));
    expect(store.cancelled).toEqual([["Codertocat/Hello-World", 1]]);
  });

  it("stops the running task when the issue is closed", async () => {
    noConfigFile();
    const payload = webhookExample("issues", "labeled");
    payload.action = "closed";
    payload.issue.state = "closed";
    await receive("issues", payload);
    expect(store.cancelled).toEqual([["Codertocat/Hello-World", 1]]);
  });

  it("answers /agent help with the usage", async () => {
    noConfigFile();
    const reply = nock(API)
      .post(`${REPO}/issues/1/comments`, (body) => body.body.includes("/agent fix [instructions]"))
      .reply(201, { id: 6, body: "", html_url: "" });
    await receive("issue_comment", comment("/agent help"));
    expect(reply.isDone()).toBe(true);
  });

  it("names the bad key of an invalid config file, then works with the defaults", async () => {
    nock(API).get(`${REPO}/contents/.github%2Floopwright.yml`).reply(200, "budget:\n  max_steps: lots\n", {
      "content-type": "application/vnd.github.raw; charset=utf-8",
    });
    permission("Codertocat", "write");
    nock(API).get(`${REPO}/issues/1/comments`).query(true).reply(200, []);
    const configComment = nock(API)
      .post(`${REPO}/issues/1/comments`, (body) => body.body.includes("budget.max_steps"))
      .reply(201, { id: 7, body: "", html_url: "" });
    nock(API).post(`${REPO}/issues/comments/492700400/reactions`).reply(201, {});
    await receive("issue_comment", comment("/agent fix"));
    expect(configComment.isDone()).toBe(true);
    expect(store.submitted[0]?.input.config.budget.max_steps).toBe(60);
  });

  it("refuses to iterate on a pull request from a fork", async () => {
    noConfigFile();
    permission("Codertocat", "write");
    nock(API)
      .get(`${REPO}/pulls/1`)
      .reply(200, {
        state: "open",
        head: { ref: "agent/issue-1-fix", sha: "abc", repo: { full_name: "someone/Hello-World" } },
        base: { repo: { full_name: "Codertocat/Hello-World" } },
      });
    nock(API).get(`${REPO}/issues/1/comments`).query(true).reply(200, []);
    const refusal = nock(API)
      .post(`${REPO}/issues/1/comments`, (body) => body.body.includes("comes from a fork"))
      .reply(201, { id: 8, body: "", html_url: "" });
    const payload = comment("/agent also handle the empty case", (p) => {
      p.issue.pull_request = { url: `${API}${REPO}/pulls/1` };
    });
    await receive("issue_comment", payload);
    expect(store.submitted).toEqual([]);
    expect(refusal.isDone()).toBe(true);
  });

  it("queues an iterate task on its own pull request with the head branch", async () => {
    noConfigFile();
    permission("Codertocat", "write");
    nock(API)
      .get(`${REPO}/pulls/1`)
      .reply(200, {
        state: "open",
        head: { ref: "agent/issue-1-fix", sha: "abc123", repo: { full_name: "Codertocat/Hello-World" } },
        base: { repo: { full_name: "Codertocat/Hello-World" } },
      });
    nock(API).post(`${REPO}/issues/comments/492700400/reactions`).reply(201, {});
    const payload = comment("/agent also handle the empty case", (p) => {
      p.issue.pull_request = { url: `${API}${REPO}/pulls/1` };
    });
    await receive("issue_comment", payload);
    expect(store.submitted).toEqual([
      expect.objectContaining({
        kind: "iterate",
        input: expect.objectContaining({
          instructions: "also handle the empty case",
          head: { ref: "agent/issue-1-fix", sha: "abc123" },
        }),
      }),
    ]);
  });

  it("refuses new work once the repository's daily token budget is spent", async () => {
    store.spent = 20_000_000;
    noConfigFile();
    permission("Codertocat", "write");
    nock(API).get(`${REPO}/issues/1/comments`).query(true).reply(200, []);
    const reply = nock(API)
      .post(`${REPO}/issues/1/comments`, (body) => body.body.includes("daily budget"))
      .reply(201, { id: 9, body: "", html_url: "" });
    await receive("issue_comment", comment("/agent fix"));
    expect(store.submitted).toEqual([]);
    expect(reply.isDone()).toBe(true);
  });

  it("tells the user when starting fails on a GitHub error that will not pass", async () => {
    noConfigFile();
    nock(API).get(`${REPO}/collaborators/Codertocat/permission`).reply(422, { message: "boom" });
    const reply = nock(API)
      .post(`${REPO}/issues/1/comments`, (body) => body.body.includes("something went wrong while starting"))
      .reply(201, { id: 10, body: "", html_url: "" });
    await receive("issue_comment", comment("/agent fix"));
    expect(store.submitted).toEqual([]);
    expect(reply.isDone()).toBe(true);
  });

  it("throws a GitHub outage on, for the intake to retry, and says nothing yet", async () => {
    noConfigFile();
    nock(API).get(`${REPO}/collaborators/Codertocat/permission`).reply(503, { message: "down" });
    await expect(receive("issue_comment", comment("/agent fix"))).rejects.toThrow(
      /GitHub had an error \(503\)/,
    );
    expect(store.submitted).toEqual([]);
  });
});
