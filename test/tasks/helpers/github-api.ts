import nock from "nock";
import { API } from "../../github/octokit.ts";

export const OWNER = "o";
export const REPO = "r";
const REPO_PATH = `/repos/${OWNER}/${REPO}`;

/** A request the fake answered (or refused), for assertions on what the task sent to GitHub. */
export type ApiRequest = { method: string; path: string; query: URLSearchParams; body: unknown };

type Comment = { id: number; body: string; user: { login: string; type: string }; html_url: string };
type Pull = {
  number: number;
  title: string;
  body: string;
  head: { ref: string; sha: string };
  html_url: string;
  state: string;
  user: { login: string; type: string };
  diff: string;
};
export type Reply = [number, unknown];
type Route = {
  method: string;
  path: RegExp;
  answer(match: RegExpExecArray, request: ApiRequest, accept: string): Reply;
};
type Failure = { method: string; path: RegExp; status: number; body: unknown; times: number };

const BOT = { login: "loopwright[bot]", type: "Bot" };

/**
 * GitHub's REST API for one repository (`o/r`), served through nock on {@link API}: issues,
 * their comments, pull requests (with the diff media type), review requests and review comments,
 * kept in memory so a retried task finds what its first attempt made. Every request is recorded;
 * one the fake does not know is answered 501 and listed in `unhandled`.
 *
 * @example
 * const github = new GitHubApiFake().install();
 * github.addIssue(7, "sum() subtracts", "It returns -1.");
 * expect(github.requestsTo("POST", /\/pulls$/)).toHaveLength(1);
 */
export class GitHubApiFake {
  readonly requests: ApiRequest[] = [];
  readonly unhandled: string[] = [];
  readonly comments = new Map<number, Map<number, Comment>>();
  readonly pulls: Pull[] = [];
  readonly reviewComments = new Map<number, { path: string; line: number; body: string; user: object }[]>();
  readonly #issues = new Map<number, { title: string; body: string }>();
  readonly #failures: Failure[] = [];
  readonly #extraRoutes: Route[] = [];
  #nextId = 1000;

  addIssue(number: number, title: string, body: string): void {
    this.#issues.set(number, { title, body });
  }

  addPull(pull: { number: number; title: string; body?: string; head: { ref: string; sha: string } }): void {
    this.pulls.push({
      body: "",
      ...pull,
      html_url: `https://github.com/${OWNER}/${REPO}/pull/${pull.number}`,
      state: "open",
      user: BOT,
      diff: `diff --git a/x b/x\n+change on ${pull.head.ref}\n`,
    });
  }

  /** Answers matching requests before the built-in routes (for endpoints one test file needs). */
  route(method: string, path: RegExp, answer: (match: RegExpExecArray, request: ApiRequest) => Reply): void {
    this.#extraRoutes.push({ method, path, answer });
  }

  /** Answers the next `times` matching requests with an error instead. */
  fail(method: string, path: RegExp, status: number, body: unknown, times = 1): void {
    this.#failures.push({ method, path, status, body, times });
  }

  requestsTo(method: string, path: RegExp): ApiRequest[] {
    return this.requests.filter((request) => request.method === method && path.test(request.path));
  }

  /** The bodies of the comments on an issue or pull request, oldest first. */
  commentBodies(number: number): string[] {
    return [...(this.comments.get(number)?.values() ?? [])].map((comment) => comment.body);
  }

  install(): this {
    nock.disableNetConnect();
    for (const method of ["GET", "POST", "PATCH", "PUT", "DELETE"]) {
      nock(API)
        .persist()
        .intercept(() => true, method)
        .reply(async (request: Request) =>
          this.#answer(method, request.url, await request.text(), request.headers.get("accept") ?? ""),
        );
    }
    return this;
  }

  #answer(method: string, uri: string, body: unknown, accept: string): Reply {
    const url = new URL(uri, API);
    const request: ApiRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      body: typeof body === "string" && body !== "" ? JSON.parse(body) : body,
    };
    this.requests.push(request);
    const failure = this.#failures.find(
      (candidate) => candidate.method === method && candidate.path.test(url.pathname) && candidate.times > 0,
    );
    if (failure) {
      failure.times -= 1;
      return [failure.status, failure.body];
    }
    for (const route of [...this.#extraRoutes, ...this.#routes]) {
      const match = route.method === method ? route.path.exec(url.pathname) : null;
      if (match) return route.answer(match, request, accept);
    }
    this.unhandled.push(`${method} ${url.pathname}${url.search}`);
    return [501, { message: `the fake GitHub does not answer ${method} ${url.pathname}` }];
  }

  #commentsOf(number: number): Map<number, Comment> {
    let comments = this.comments.get(number);
    if (!comments) {
      comments = new Map();
      this.comments.set(number, comments);
    }
    return comments;
  }

  #pull(number: number): Pull | undefined {
    return this.pulls.find((pull) => pull.number === number);
  }

  readonly #routes: Route[] = [
    {
      method: "GET",
      path: new RegExp(`^${REPO_PATH}/issues/(\\d+)$`),
      answer: (match) => {
        const number = Number(match[1]);
        const issue = this.#issues.get(number);
        if (!issue) return [404, { message: "Not Found" }];
        return [200, { number, ...issue, user: { login: "ann", type: "User" }, state: "open" }];
      },
    },
    {
      method: "GET",
      path: new RegExp(`^${REPO_PATH}/issues/(\\d+)/comments$`),
      answer: (match) => [200, [...this.#commentsOf(Number(match[1])).values()]],
    },
    {
      method: "POST",
      path: new RegExp(`^${REPO_PATH}/issues/(\\d+)/comments$`),
      answer: (match, request) => {
        const id = this.#nextId++;
        const comment = {
          id,
          body: (request.body as { body: string }).body,
          user: BOT,
          html_url: `https://github.com/${OWNER}/${REPO}/issues/${match[1]}#issuecomment-${id}`,
        };
        this.#commentsOf(Number(match[1])).set(id, comment);
        return [201, comment];
      },
    },
    {
      method: "PATCH",
      path: new RegExp(`^${REPO_PATH}/issues/comments/(\\d+)$`),
      answer: (match, request) => {
        const id = Number(match[1]);
        for (const comments of this.comments.values()) {
          const comment = comments.get(id);
          if (comment) {
            comment.body = (request.body as { body: string }).body;
            return [200, comment];
          }
        }
        return [404, { message: "Not Found" }];
      },
    },
    {
      method: "GET",
      path: new RegExp(`^${REPO_PATH}/pulls$`),
      answer: (_match, request) => {
        const head = request.query.get("head");
        const open = this.pulls.filter(
          (pull) => pull.state === "open" && (head === null || `${OWNER}:${pull.head.ref}` === head),
        );
        return [200, open];
      },
    },
    {
      method: "POST",
      path: new RegExp(`^${REPO_PATH}/pulls$`),
      answer: (_match, request) => {
        const { head, title, body } = request.body as { head: string; title: string; body: string };
        const number = 100 + this.pulls.length;
        this.addPull({ number, title, body, head: { ref: head, sha: "0".repeat(40) } });
        return [201, this.#pull(number)];
      },
    },
    {
      method: "GET",
      path: new RegExp(`^${REPO_PATH}/pulls/(\\d+)$`),
      answer: (match, _request, accept) => {
        const pull = this.#pull(Number(match[1]));
        if (!pull) return [404, { message: "Not Found" }];
        return accept.includes("diff") ? [200, pull.diff] : [200, pull];
      },
    },
    {
      method: "PATCH",
      path: new RegExp(`^${REPO_PATH}/pulls/(\\d+)$`),
      answer: (match, request) => {
        const pull = this.#pull(Number(match[1]));
        if (!pull) return [404, { message: "Not Found" }];
        Object.assign(pull, request.body);
        return [200, pull];
      },
    },
    {
      method: "POST",
      path: new RegExp(`^${REPO_PATH}/pulls/(\\d+)/requested_reviewers$`),
      answer: (match) => [201, this.#pull(Number(match[1])) ?? {}],
    },
    {
      method: "GET",
      path: new RegExp(`^${REPO_PATH}/pulls/(\\d+)/reviews/(\\d+)/comments$`),
      answer: (match) => [200, this.reviewComments.get(Number(match[2])) ?? []],
    },
  ];
}
