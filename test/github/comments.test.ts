import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import {
  addEyesReaction,
  findCommentByMarker,
  postCommentOnce,
  updateComment,
  upsertMarkedComment,
} from "../../src/github/comments.ts";
import { GitHubApiError } from "../../src/github/errors.ts";
import { taskMarker } from "../../src/github/markdown.ts";
import { renderUnauthorizedReply } from "../../src/github/replies.ts";
import { API, testOctokit } from "./octokit.ts";

const target = { owner: "o", repo: "r", number: 7 };
const comments = "/repos/o/r/issues/7/comments";
const bot = { login: "loopwright[bot]", type: "Bot" };
const person = { login: "mallory", type: "User" };
const comment = (id: number, body: string, user = bot) => ({
  id,
  body,
  user,
  html_url: `https://github.com/o/r/issues/7#issuecomment-${id}`,
});

afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe("findCommentByMarker", () => {
  it("finds the bot's comment across pages and skips people's copies of the marker", async () => {
    const marker = taskMarker("t_1");
    nock(API)
      .get(comments)
      .query({ per_page: 100 })
      .reply(200, [comment(1, "hi"), comment(2, `${marker} pasted`, person)], {
        link: `<${API}${comments}?per_page=100&page=2>; rel="next"`,
      })
      .get(comments)
      .query({ per_page: 100, page: 2 })
      .reply(200, [comment(3, `${marker}\nWorking`)]);
    await expect(findCommentByMarker(testOctokit(), target, marker)).resolves.toEqual({
      id: 3,
      body: `${marker}\nWorking`,
      url: "https://github.com/o/r/issues/7#issuecomment-3",
    });
  });

  it("returns undefined when absent and explains a missing issue", async () => {
    nock(API).get(comments).query(true).reply(200, []);
    await expect(findCommentByMarker(testOctokit(), target, taskMarker("x"))).resolves.toBeUndefined();
    nock(API).get(comments).query(true).reply(404, { message: "Not Found" });
    await expect(findCommentByMarker(testOctokit(), target, taskMarker("x"))).rejects.toThrow(
      "Could not read the comments of #7: not found (404)",
    );
  });
});

describe("upsertMarkedComment", () => {
  const marker = taskMarker("t_1");

  it("creates the comment the first time", async () => {
    nock(API).get(comments).query(true).reply(200, []);
    nock(API)
      .post(comments, { body: `${marker}\nQueued` })
      .reply(201, comment(10, `${marker}\nQueued`));
    await expect(
      upsertMarkedComment(testOctokit(), target, marker, `${marker}\nQueued`),
    ).resolves.toMatchObject({
      id: 10,
      created: true,
    });
  });

  it("edits the comment a previous attempt left, and skips an identical edit", async () => {
    nock(API)
      .get(comments)
      .query(true)
      .reply(200, [comment(10, `${marker}\nQueued`)]);
    nock(API)
      .patch("/repos/o/r/issues/comments/10", { body: `${marker}\nWorking` })
      .reply(200, {});
    await expect(
      upsertMarkedComment(testOctokit(), target, marker, `${marker}\nWorking`),
    ).resolves.toMatchObject({
      id: 10,
      created: false,
      body: `${marker}\nWorking`,
    });
    nock(API)
      .get(comments)
      .query(true)
      .reply(200, [comment(10, `${marker}\nWorking`)]);
    await expect(
      upsertMarkedComment(testOctokit(), target, marker, `${marker}\nWorking`),
    ).resolves.toMatchObject({
      created: false,
    });
  });
});

describe("postCommentOnce", () => {
  it("posts a marked reply only once", async () => {
    const reply = renderUnauthorizedReply("mallory", "/agent");
    nock(API).get(comments).query(true).reply(200, []);
    nock(API).post(comments).reply(201, comment(11, reply));
    await expect(postCommentOnce(testOctokit(), target, reply)).resolves.toMatchObject({ created: true });
    nock(API)
      .get(comments)
      .query(true)
      .reply(200, [comment(11, reply)]);
    await expect(postCommentOnce(testOctokit(), target, reply)).resolves.toMatchObject({
      created: false,
      comment: { id: 11 },
    });
  });

  it("always posts an unmarked reply", async () => {
    nock(API).post(comments, { body: "help" }).reply(201, comment(12, "help"));
    await expect(postCommentOnce(testOctokit(), target, "help")).resolves.toMatchObject({ created: true });
  });
});

describe("updateComment and addEyesReaction", () => {
  it("edit and react, mapping failures to clear errors", async () => {
    nock(API).patch("/repos/o/r/issues/comments/5", { body: "new" }).reply(200, {});
    await updateComment(testOctokit(), { owner: "o", repo: "r", commentId: 5 }, "new");
    nock(API).post("/repos/o/r/issues/comments/5/reactions", { content: "eyes" }).reply(200, {});
    await addEyesReaction(testOctokit(), { owner: "o", repo: "r", commentId: 5 });
    nock(API).post("/repos/o/r/issues/comments/6/reactions").reply(404, { message: "Not Found" });
    const error = await addEyesReaction(testOctokit(), { owner: "o", repo: "r", commentId: 6 }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(GitHubApiError);
    expect(error.message).toMatch(/^Could not react to the comment: not found \(404\)/);
  });
});
