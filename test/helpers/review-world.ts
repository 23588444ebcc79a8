import type { FakeModelTurn } from "./fake-openai.ts";
import { type GitHubWorld, OWNER, REPO } from "./github-world.ts";
import { INSTALLATION_ID, type Payload, webhookExample } from "./webhook-examples.ts";

const REPO_PATH = `/repos/${OWNER}/${REPO}`;

/** What the fake GitHub keeps of a pull request's reviews, for assertions. */
export type ReviewState = {
  reviews: {
    id: number;
    pull: number;
    commit_id: string;
    comments: { path: string; line?: number; body: string }[];
  }[];
  comments: { id: number; reviewId: number; body: string; replies: string[] }[];
  threads: { id: string; commentId: number; isResolved: boolean }[];
  checkRuns: Map<number, Record<string, unknown>[]>;
};

/** A pull request's `math.js` with two bugs: `double` triples (lines 1-3), `half` doubles (line 5). */
export const BUGGY_MATH =
  "export function double(x) {\n  return x * 3;\n}\nexport function half(x) {\n  return x * 2;\n}\n";
/** The next push: `double` fixed, `half` still wrong. */
export const DOUBLE_FIXED_MATH = BUGGY_MATH.replace("x * 3", "x * 2");

/** The findings a model reports on {@link BUGGY_MATH}, as `submit_review` takes them. */
export const MATH_FINDINGS = {
  tripled: {
    title: "double() triples its argument",
    body: "`double(2)` returns 6.",
    priority: "P1",
    confidence: 0.95,
    path: "math.js",
    start_line: 1,
    end_line: 3,
    side: "RIGHT",
  },
  halved: {
    title: "half() doubles its argument",
    body: "`half(4)` returns 8.",
    priority: "P1",
    confidence: 0.9,
    path: "math.js",
    start_line: 5,
    end_line: 5,
    side: "RIGHT",
    suggestion: "  return x / 2;",
  },
};

/**
 * Adds to a world's fake GitHub what the review task calls, for any pull request number: the pull
 * request, check runs, reviews and their comments, replies, and GraphQL review threads (GitHub
 * Enterprise's `/api/graphql`).
 *
 * @example
 * const state = addReviewRoutes(world, "Add math helpers");
 */
export function addReviewRoutes(world: GitHubWorld, title: string): ReviewState {
  const { github } = world;
  const state: ReviewState = { reviews: [], comments: [], threads: [], checkRuns: new Map() };
  let nextId = 70_000;
  const reply = (status: number, body?: unknown) => ({ status, body });
  github.route({
    method: "GET",
    path: new RegExp(`^${REPO_PATH}/pulls/(\\d+)$`),
    reply: (_request, match) =>
      reply(200, { number: Number(match[1]), title, body: "Adds helpers.", state: "open" }),
  });
  github.route({
    method: "POST",
    path: new RegExp(`^${REPO_PATH}/check-runs$`),
    reply: (request) => {
      const id = nextId++;
      state.checkRuns.set(id, [request.body as Record<string, unknown>]);
      return reply(201, { id });
    },
  });
  github.route({
    method: "PATCH",
    path: new RegExp(`^${REPO_PATH}/check-runs/(\\d+)$`),
    reply: (request, match) => {
      state.checkRuns.get(Number(match[1]))?.push(request.body as Record<string, unknown>);
      return reply(200, { id: Number(match[1]) });
    },
  });
  github.route({
    method: "POST",
    path: new RegExp(`^${REPO_PATH}/pulls/(\\d+)/reviews$`),
    reply: (request, match) => {
      const body = request.body as ReviewState["reviews"][number] & { event?: string };
      const id = nextId++;
      if (body.event === "COMMENT") {
        state.reviews.push({
          id,
          pull: Number(match[1]),
          commit_id: body.commit_id,
          comments: body.comments,
        });
        for (const comment of body.comments) {
          const commentId = nextId++;
          state.comments.push({ id: commentId, reviewId: id, body: comment.body, replies: [] });
          state.threads.push({ id: `PRRT_${commentId}`, commentId, isResolved: false });
        }
      }
      return reply(200, { id });
    },
  });
  github.route({
    method: "GET",
    path: new RegExp(`^${REPO_PATH}/pulls/\\d+/reviews/(\\d+)/comments$`),
    reply: (_request, match) =>
      reply(
        200,
        state.comments.filter((comment) => comment.reviewId === Number(match[1])),
      ),
  });
  github.route({
    method: "POST",
    path: new RegExp(`^${REPO_PATH}/pulls/\\d+/comments/(\\d+)/replies$`),
    reply: (request, match) => {
      const comment = state.comments.find((candidate) => candidate.id === Number(match[1]));
      comment?.replies.push((request.body as { body: string }).body);
      return reply(201, { id: nextId++ });
    },
  });
  github.route({
    method: "POST",
    path: /\/graphql$/,
    reply: (request) => {
      const { query, variables } = request.body as { query: string; variables: Record<string, unknown> };
      if (query.includes("resolveReviewThread")) {
        const thread = state.threads.find((candidate) => candidate.id === variables.id);
        if (thread) thread.isResolved = true;
        return reply(200, {
          data: { resolveReviewThread: { thread: { id: variables.id, isResolved: true } } },
        });
      }
      const nodes = state.threads.map((thread) => ({
        id: thread.id,
        isResolved: thread.isResolved,
        resolvedBy: thread.isResolved ? { login: "loopwright[bot]" } : null,
        comments: { nodes: [{ databaseId: thread.commentId }] },
      }));
      return reply(200, {
        data: {
          repository: {
            pullRequest: { reviewThreads: { pageInfo: { hasNextPage: false, endCursor: null }, nodes } },
          },
        },
      });
    },
  });
  return state;
}

/**
 * A `pull_request` webhook payload for the world's repository: a same-repository pull request from
 * `feature` into main at `headSha`.
 *
 * @example
 * pullRequestPayload(world, { action: "opened", number: 2, headSha });
 */
export function pullRequestPayload(
  world: GitHubWorld,
  request: { action: string; number: number; headSha: string },
): Payload {
  const payload = webhookExample("pull_request", "opened");
  payload.action = request.action;
  payload.number = request.number;
  payload.installation = { id: INSTALLATION_ID, node_id: "test" };
  payload.repository.clone_url = world.remote;
  payload.repository.default_branch = "main";
  const pr = payload.pull_request;
  pr.number = request.number;
  pr.draft = false;
  pr.state = "open";
  pr.user = { login: "Codertocat", type: "User" };
  pr.head.ref = "feature";
  pr.head.sha = request.headSha;
  pr.head.repo.full_name = `${OWNER}/${REPO}`;
  pr.base.ref = "main";
  pr.base.repo.full_name = `${OWNER}/${REPO}`;
  return payload;
}

/** A model turn that calls `submit_review` with these findings. */
export function submitReviewTurn(findings: unknown[], summary = "Adds helpers."): FakeModelTurn {
  return {
    output: [
      {
        type: "function_call",
        name: "submit_review",
        call_id: `call_submit_${Math.random().toString(36).slice(2, 8)}`,
        arguments: JSON.stringify({ summary, findings }),
      },
    ],
  };
}
