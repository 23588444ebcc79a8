import nock from "nock";
import type { Probot } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NewGitHubTask, WebhookDependencies } from "../../src/github/webhook-handler.ts";
import { createApp } from "../../src/index.ts";
import { testProbot } from "../helpers/probot.ts";
import { INSTALLATION_ID, type Payload, webhookExample } from "../helpers/webhook-examples.ts";

const API = "https://api.github.com";
const REPO = "/repos/Codertocat/Hello-World";

type FakeStore = WebhookDependencies & {
  submitted: NewGitHubTask[];
  cancelled: [string, number][];
  spent: number;
};

function fakeStore(): FakeStore {
  const byDelivery = new Map<string, number>();
  const store: FakeStore = {
    submitted: [],
    cancelled: [],
    spent: 0,
    async submitTask(task) {
      const existing = task.deliveryId ? byDelivery.get(task.deliveryId) : undefined;
      if (existing !== undefined) return { taskId: existing, created: false };
      store.submitted.push(task);
      const taskId = store.submitted.length;
      if (task.deliveryId) byDelivery.set(task.deliveryId, taskId);
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
    expect(store.submitted).toEqual([expect.objectContaining({ kind: "fix", trigger: "label", number: 1 })]);
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

  it("creates one task for a redelivered webhook", async () => {
    for (let copy = 0; copy < 2; copy++) {
      noConfigFile();
      permission("Codertocat", "write");
    }
    nock(API).post(`${REPO}/issues/comments/492700400/reactions`).reply(201, {});
    await receive("issue_comment", comment("/agent fix"), "same-delivery");
    await receive("issue_comment", comment("/agent fix"), "same-delivery");
    expect(store.submitted).toHaveLength(1);
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
    const reply = nock(API)
      .post(`${REPO}/issues/1/comments`, (body) => body.body.includes("daily budget"))
      .reply(201, { id: 9, body: "", html_url: "" });
    await receive("issue_comment", comment("/agent fix"));
    expect(store.submitted).toEqual([]);
    expect(reply.isDone()).toBe(true);
  });

  it("tells the user when starting fails on a GitHub error", async () => {
    noConfigFile();
    nock(API).get(`${REPO}/collaborators/Codertocat/permission`).reply(500, { message: "boom" });
    const reply = nock(API)
      .post(`${REPO}/issues/1/comments`, (body) => body.body.includes("something went wrong while starting"))
      .reply(201, { id: 10, body: "", html_url: "" });
    await receive("issue_comment", comment("/agent fix"));
    expect(store.submitted).toEqual([]);
    expect(reply.isDone()).toBe(true);
  });
});
