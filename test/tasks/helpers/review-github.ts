import nock from "nock";
import { API } from "../../github/octokit.ts";

const BOT = { login: "loopwright[bot]", type: "Bot" };

type Posted = { id: number; reviewId: number; path: string; line?: number; body: string; replies: string[] };
type Thread = { id: string; commentId: number; isResolved: boolean; resolvedBy: string | null };

/**
 * GitHub for one pull request (`o/r#5`) as the review task uses it, through nock: check runs, the
 * pull request, reviews (a pending review can be deleted), review comments and their replies, issue
 * comments, and GraphQL review threads. `refuseLines` makes GitHub answer 422 to any review that
 * holds a comment on one of those lines, as it does for an anchor it does not accept.
 *
 * @example
 * const github = new ReviewGitHub().install();
 * expect(github.reviews).toHaveLength(1);
 */
export class ReviewGitHub {
  readonly requests: { method: string; path: string; body: unknown }[] = [];
  readonly checkRuns = new Map<number, { head_sha: string; updates: Record<string, unknown>[] }>();
  /** Reviews that were submitted (event COMMENT), with their comments. */
  readonly reviews: { id: number; commit_id: string; comments: Record<string, unknown>[] }[] = [];
  readonly comments: Posted[] = [];
  readonly issueComments = new Map<number, { id: number; body: string; user: typeof BOT }>();
  readonly threads: Thread[] = [];
  readonly refuseLines = new Set<number>();
  readonly unhandled: string[] = [];
  #nextId = 500;

  install(): this {
    nock.disableNetConnect();
    for (const method of ["GET", "POST", "PATCH", "DELETE"]) {
      nock(API)
        .persist()
        .intercept(() => true, method)
        .reply(async (request: Request) => {
          const text = await request.text();
          const url = new URL(request.url, API);
          const body = text === "" ? undefined : JSON.parse(text);
          this.requests.push({ method, path: url.pathname, body });
          return this.#answer(method, url.pathname, body);
        });
    }
    return this;
  }

  requestsTo(method: string, path: RegExp) {
    return this.requests.filter((request) => request.method === method && path.test(request.path));
  }

  /** The body of the one summary comment. */
  summary(): string {
    const bodies = [...this.issueComments.values()].map((comment) => comment.body);
    if (bodies.length !== 1) throw new Error(`expected one summary comment, found ${bodies.length}`);
    return bodies[0] ?? "";
  }

  /** A person resolves the thread of an inline comment. */
  resolveByPerson(commentId: number, login: string): void {
    const thread = this.threads.find((candidate) => candidate.commentId === commentId);
    if (!thread) throw new Error(`no thread for comment ${commentId}`);
    thread.isResolved = true;
    thread.resolvedBy = login;
  }

  // biome-ignore lint/suspicious/noExplicitAny: request bodies are read loosely, as GitHub reads them
  #answer(method: string, path: string, body: any): [number, unknown] {
    const route = `${method} ${path.replace(/\d+/g, ":n")}`;
    const id = Number(/(\d+)(?:\/[a-z_]+)?$/.exec(path)?.[1]);
    switch (route) {
      case "POST /repos/o/r/check-runs": {
        const checkId = this.#nextId++;
        this.checkRuns.set(checkId, { head_sha: body.head_sha, updates: [body] });
        return [201, { id: checkId }];
      }
      case "PATCH /repos/o/r/check-runs/:n":
        this.checkRuns.get(id)?.updates.push(body);
        return [200, { id }];
      case "GET /repos/o/r/pulls/:n":
        return [200, { number: 5, title: "Add sum helpers", body: "Adds things.", state: "open" }];
      case "POST /repos/o/r/pulls/:n/reviews": {
        const comments = body.comments as { line?: number; path: string; body: string }[];
        if (comments.some((comment) => comment.line !== undefined && this.refuseLines.has(comment.line))) {
          return [
            422,
            {
              message: "Unprocessable Entity",
              errors: ["pull_request_review_thread.line must be part of the diff"],
            },
          ];
        }
        const reviewId = this.#nextId++;
        if (body.event === "COMMENT") {
          this.reviews.push({ id: reviewId, commit_id: body.commit_id, comments });
          for (const comment of comments) {
            const commentId = this.#nextId++;
            this.comments.push({
              id: commentId,
              reviewId,
              path: comment.path,
              line: comment.line,
              body: comment.body,
              replies: [],
            });
            this.threads.push({ id: `PRRT_${commentId}`, commentId, isResolved: false, resolvedBy: null });
          }
        }
        return [200, { id: reviewId }];
      }
      case "DELETE /repos/o/r/pulls/:n/reviews/:n":
        return [200, { id }];
      case "GET /repos/o/r/pulls/:n/reviews/:n/comments": {
        const reviewId = Number(path.split("/")[7]);
        return [200, this.comments.filter((comment) => comment.reviewId === reviewId)];
      }
      case "POST /repos/o/r/pulls/:n/comments/:n/replies": {
        const commentId = Number(path.split("/")[7]);
        this.comments.find((comment) => comment.id === commentId)?.replies.push(body.body);
        return [201, { id: this.#nextId++ }];
      }
      case "GET /repos/o/r/issues/:n/comments":
        return [200, [...this.issueComments.values()]];
      case "POST /repos/o/r/issues/:n/comments": {
        const commentId = this.#nextId++;
        const comment = {
          id: commentId,
          body: body.body,
          user: BOT,
          html_url: `https://github.com/o/r/pull/5#issuecomment-${commentId}`,
        };
        this.issueComments.set(commentId, comment);
        return [201, comment];
      }
      case "PATCH /repos/o/r/issues/comments/:n": {
        const comment = this.issueComments.get(id);
        if (!comment) return [404, { message: "Not Found" }];
        comment.body = body.body;
        return [200, comment];
      }
      case "POST /graphql":
        return [200, this.#graphql(body.query as string, body.variables as Record<string, unknown>)];
    }
    this.unhandled.push(`${method} ${path}`);
    return [501, { message: `not faked: ${method} ${path}` }];
  }

  #graphql(query: string, variables: Record<string, unknown>) {
    if (query.includes("resolveReviewThread")) {
      const thread = this.threads.find((candidate) => candidate.id === variables.id);
      if (thread) {
        thread.isResolved = true;
        thread.resolvedBy = BOT.login;
      }
      return { data: { resolveReviewThread: { thread: { id: variables.id, isResolved: true } } } };
    }
    return {
      data: {
        repository: {
          pullRequest: {
            reviewThreads: {
              pageInfo: { hasNextPage: false, endCursor: null },
              nodes: this.threads.map((thread) => ({
                id: thread.id,
                isResolved: thread.isResolved,
                resolvedBy: thread.resolvedBy ? { login: thread.resolvedBy } : null,
                comments: { nodes: [{ databaseId: thread.commentId }] },
              })),
            },
          },
        },
      },
    };
  }
}
