import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type RecordedRequest = {
  method: string;
  path: string;
  /** The query string's parameters. */
  query: URLSearchParams;
  body: unknown;
  headers: IncomingMessage["headers"];
  /** Milliseconds since epoch when the request arrived. */
  receivedAt: number;
  /** The status it was answered with; absent while unanswered. */
  status?: number;
};
export type FakeReply = { status: number; body?: unknown; headers?: Record<string, string> };
export type FakeRoute = {
  method: string;
  /** Matched against the path after `/api/v3`, without the query string. */
  path: RegExp;
  reply: (request: RecordedRequest, match: RegExpMatchArray) => FakeReply | Promise<FakeReply>;
};

/** A fault to inject: the next `times` requests matching answer `reply` (or hang while `hang` is pending). */
export type FakeFault = {
  method: string;
  path: RegExp;
  times: number;
  reply?: FakeReply;
  /** Holds matching requests unanswered until it settles (a hung GitHub). */
  hang?: Promise<unknown>;
};

export type FakeGitHub = {
  /** The host:port to give Probot as GHE_HOST (with GHE_PROTOCOL=http). */
  host: string;
  /** REST API root, for Octokit's baseUrl. */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Routes added later take precedence, so a test can override a default. */
  route(route: FakeRoute): void;
  /** Makes matching requests fail (or hang) before any route answers them; faults are used up in order. */
  fail(fault: FakeFault): void;
  /** Resolves with the first recorded request matching (and passing `where`), waiting up to `timeoutMs`. */
  waitFor(
    method: string,
    path: RegExp,
    timeoutMs?: number,
    where?: (request: RecordedRequest) => boolean,
  ): Promise<RecordedRequest>;
  close(): Promise<void>;
};

/**
 * A GitHub REST API stand-in on 127.0.0.1 for process-level tests: it answers from scripted routes
 * over real HTTP (so the real Octokit clients are exercised) and records every request.
 *
 * @example
 * const github = await startFakeGitHub();
 * github.route({ method: "GET", path: /^\/repos\/o\/r$/, reply: () => ({ status: 200, body: { id: 1 } }) });
 */
export async function startFakeGitHub(): Promise<FakeGitHub> {
  const routes: FakeRoute[] = [];
  const faults: FakeFault[] = [];
  const requests: RecordedRequest[] = [];
  const waiters = new Set<() => void>();

  const server: Server = createServer(async (req, res) => {
    const receivedAt = Date.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString();
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname.replace(/^\/api\/v3/, "");
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      // keep the raw text
    }
    const recorded: RecordedRequest = {
      method: req.method ?? "GET",
      path,
      query: url.searchParams,
      body,
      headers: req.headers,
      receivedAt,
    };
    requests.push(recorded);
    for (const wake of waiters) wake();
    const fault = faults.find(
      (candidate) => candidate.times > 0 && candidate.method === recorded.method && candidate.path.test(path),
    );
    if (fault) {
      fault.times -= 1;
      if (fault.hang) await fault.hang.catch(() => {});
      const reply = fault.reply ?? { status: 502, body: { message: "Bad Gateway (injected)" } };
      recorded.status = reply.status;
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(reply.body === undefined ? "" : JSON.stringify(reply.body));
      return;
    }
    for (const route of [...routes].reverse()) {
      const match = route.method === recorded.method ? path.match(route.path) : null;
      if (!match) continue;
      const reply = await route.reply(recorded, match);
      recorded.status = reply.status;
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      // A raw media type (a file's contents) goes out as the text it is.
      const raw = typeof reply.body === "string" && /\.raw/.test(reply.headers?.["content-type"] ?? "");
      res.end(reply.body === undefined ? "" : raw ? reply.body : JSON.stringify(reply.body));
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(
      JSON.stringify({ message: `Not Found (fake GitHub has no route for ${recorded.method} ${path})` }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    host: `127.0.0.1:${port}`,
    baseUrl: `http://127.0.0.1:${port}/api/v3`,
    requests,
    route: (route) => routes.push(route),
    fail: (fault) => faults.push(fault),
    waitFor(method, path, timeoutMs = 120_000, where = () => true) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = requests.find(
            (request) => request.method === method && path.test(request.path) && where(request),
          );
          if (!found) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const seen = requests.map((request) => `${request.method} ${request.path}`).join("\n  ");
          reject(new Error(`no ${method} ${path} within ${timeoutMs} ms; requests seen:\n  ${seen}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
