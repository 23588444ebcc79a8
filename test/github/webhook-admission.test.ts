import nock from "nock";
import type { Probot } from "probot";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { storeWebhookDependencies } from "../../src/github/store-dependencies.ts";
import { createApp } from "../../src/index.ts";
import { startQueue, type TaskQueue } from "../../src/store/queue.ts";
import { listTasks } from "../../src/store/tasks.ts";
import { testProbot } from "../helpers/probot.ts";
import { openTestDatabase, type TestDatabase } from "../helpers/test-database.ts";
import { webhookExample } from "../helpers/webhook-examples.ts";

const API = "https://api.github.com";
const REPO = "/repos/Codertocat/Hello-World";

/** `/agent fix` on an issue, as comment `commentId`. */
function fixComment(commentId: number, issue = 1) {
  const payload = webhookExample("issue_comment", "created");
  payload.comment.body = "/agent fix";
  payload.comment.id = commentId;
  payload.issue.number = issue;
  return payload;
}

describe("webhooks on the real store", () => {
  let db: TestDatabase;
  let queue: TaskQueue;
  let probot: Probot;
  /** Bodies of the comments posted; nock may match a request's body more than once. */
  let replies: Set<string>;

  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    queue = await startQueue(db);
  });
  afterAll(async () => {
    await queue?.stop();
    await db?.dispose();
  });
  beforeEach(() => {
    nock.disableNetConnect();
    probot = testProbot();
    probot.load(createApp(storeWebhookDependencies(db, queue)));
    replies = new Set();
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    nock.enableNetConnect();
    expect(pending).toEqual([]);
  });

  /** GitHub for `events` requests from a writer: no config file, and replies recorded. */
  function github(events: number, replyCount: number): void {
    nock(API)
      .get(/\/repos\/Codertocat\/(Hello-World|\.github)\/contents\/\.github%2Floopwright\.yml/)
      .times(2 * events)
      .reply(404, { message: "Not Found" });
    nock(API)
      .get(`${REPO}/collaborators/Codertocat/permission`)
      .times(events)
      .reply(200, { permission: "write", role_name: "write", user: { login: "Codertocat" } });
    if (replyCount === 0) return;
    nock(API).get(`${REPO}/issues/1/comments`).query(true).times(replyCount).reply(200, []);
    nock(API)
      .post(`${REPO}/issues/1/comments`, (body) => {
        if (typeof body.body === "string") replies.add(body.body);
        return true;
      })
      .times(replyCount)
      .reply(201, { id: 1, body: "", html_url: "" });
  }

  it("makes one task from 20 /agent fix comments at once on one issue, and tells the 19 others", async () => {
    github(20, 19);
    const reaction = nock(API)
      .post(/\/issues\/comments\/\d+\/reactions$/)
      .reply(201, {});
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        probot.receive({
          id: `burst-${index}`,
          name: "issue_comment",
          payload: fixComment(9000 + index),
        } as never),
      ),
    );
    const tasks = await listTasks(db, { repository: "Codertocat/Hello-World" });
    expect(tasks).toHaveLength(1);
    const [task] = tasks;
    expect(reaction.isDone()).toBe(true);
    // One reply per refused comment: each names its comment in its marker.
    expect(replies.size).toBe(19);
    for (const reply of replies) {
      expect(reply).toContain(`already working on this issue (task ${task!.id})`);
      expect(reply).toContain("Comment `/agent stop`");
    }
  }, 240_000);

  it("returns the existing task when the same signed body comes again under a new delivery id", async () => {
    github(2, 0);
    nock(API).post(`${REPO}/issues/comments/9100/reactions`).reply(201, {});
    const payload = fixComment(9100, 2);
    await probot.receive({ id: "original", name: "issue_comment", payload } as never);
    await probot.receive({ id: "replayed", name: "issue_comment", payload } as never);
    const tasks = await listTasks(db, { repository: "Codertocat/Hello-World" });
    expect(tasks.filter((task) => task.number === 2)).toMatchObject([{ eventKey: "comment:9100" }]);
  }, 240_000);
});
