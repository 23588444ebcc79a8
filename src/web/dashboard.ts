import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../logger.ts";
import type { HttpHandler } from "../server.ts";
import type { Database } from "../store/database.ts";
import { createAccessControl } from "./access.ts";
import { apiRoutes } from "./api-routes.ts";
import { authRoutes } from "./auth-routes.ts";
import { createAuthenticator } from "./authenticate.ts";
import { GitHubAuthError, type GitHubUserApi } from "./github-user.ts";
import { html } from "./html.ts";
import { liveRoute } from "./live-route.ts";
import { messagePage } from "./message-page.ts";
import { pageRoutes } from "./page-routes.ts";
import { BodyError, sendHtml, sendJson } from "./respond.ts";
import { createCookieSealer } from "./sealed-cookie.ts";
import { expiredSignIn } from "./signed-request.ts";
import { createStepFeed, type StepFeed } from "./step-feed.ts";
import type { Route, WebContext } from "./web-context.ts";

export type DashboardOptions = {
  /** Where people reach this server (no trailing slash): the OAuth callback and links use it. */
  publicUrl: string;
  /** GitHub's web origin, for OAuth and links to issues. */
  githubUrl: string;
  /** Whether the App's OAuth credentials are set (the pages need them; the API does not). */
  oauth: boolean;
  /** Logins that see and stop everything. */
  admins: readonly string[];
  /** The database once open (undefined while starting: pages answer 503). */
  database(): Database | undefined;
  github: GitHubUserApi;
  /** The master key cookies are sealed with (see `dashboardKey`). */
  key: Buffer;
  /** The local administrator's bearer token (see `writeLocalToken`), if any. */
  localToken?: string | undefined;
  log: Logger;
  /** How often a followed task's steps are polled. */
  pollIntervalMs?: number;
  /** How long GitHub's answers about a user's access are reused. */
  accessTtlMs?: number;
  now?: () => Date;
};

export type Dashboard = { handler: HttpHandler; feed: StepFeed; close(): void };

const ROUTES: Route[] = [...authRoutes, liveRoute, ...pageRoutes, ...apiRoutes];
const OWN_PATH = /^\/(?:dashboard(?:\/|$)|api\/v1\/)/;

/**
 * The dashboard, its JSON API (`/api/v1/`) and the live step log as one HTTP handler for Probot's
 * `Server#addHandler`: it answers `/dashboard…` and `/api/v1/…` (404 for unknown paths there, 405
 * for a wrong method) and leaves every other path to the next handler. A failing route answers 500
 * with a short message and logs the error; no stack trace reaches a user.
 *
 * @example
 * const dashboard = createDashboard({ publicUrl, githubUrl, oauth: true, admins: [], database: () => db,
 *   github, key, log });
 * await startServer(settings, app, log, [dashboard.handler]);
 */
export function createDashboard(options: DashboardOptions): Dashboard {
  const github = options.github;
  const sealer = createCookieSealer(options.key);
  const feed = createStepFeed({
    reader: () => options.database()?.reader,
    intervalMs: options.pollIntervalMs ?? 1_000,
    log: options.log,
  });
  const accessOptions = options.accessTtlMs === undefined ? {} : { ttlMs: options.accessTtlMs };
  const context: WebContext = {
    publicUrl: options.publicUrl.replace(/\/+$/, ""),
    githubUrl: options.githubUrl.replace(/\/+$/, ""),
    oauth: options.oauth,
    database: options.database,
    github,
    sealer,
    authenticate: createAuthenticator({
      sealer,
      github,
      admins: options.admins,
      localToken: options.localToken,
      ...accessOptions,
    }),
    access: createAccessControl(github, accessOptions),
    feed,
    log: options.log,
    now: options.now ?? (() => new Date()),
  };

  async function handler(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const url = new URL(request.url ?? "/", "http://dashboard.invalid");
    if (!OWN_PATH.test(url.pathname)) return false;
    const api = url.pathname.startsWith("/api/");
    const fail = (status: number, message: string) => {
      if (response.headersSent) return response.end();
      if (api) return sendJson(response, status, { error: message });
      sendHtml(
        response,
        status,
        messagePage(message, html`<p><a href="/dashboard">Tasks</a></p>`),
        context.githubUrl,
      );
    };
    const matching = ROUTES.filter((route) => route.path.test(url.pathname));
    const route = matching.find(
      (candidate) =>
        candidate.method === request.method || (request.method === "HEAD" && candidate.method === "GET"),
    );
    if (!route) {
      if (matching.length > 0) {
        response.setHeader("allow", [...new Set(matching.map((candidate) => candidate.method))].join(", "));
        fail(405, `${request.method} is not allowed here`);
      } else {
        fail(404, "Not found");
      }
      return true;
    }
    const params = (url.pathname.match(route.path) ?? []).slice(1);
    try {
      await route.handle(context, { request, response, url, params });
    } catch (error) {
      if (error instanceof BodyError) {
        fail(error.status, error.message);
        return true;
      }
      if (error instanceof GitHubAuthError && !response.headersSent) {
        options.log.info({ path: url.pathname }, "GitHub refused a user's token: asking to sign in again");
        expiredSignIn(context, { request, response, url, params }, api ? "api" : "page");
        return true;
      }
      options.log.error({ err: error, path: url.pathname }, "dashboard request failed");
      fail(500, "Something went wrong; the server log has the details");
    }
    return true;
  }

  return { handler, feed, close: () => feed.close() };
}
