import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../logger.ts";
import type { Database } from "../store/database.ts";
import type { Access, AccessControl, Viewer } from "./access.ts";
import type { Authenticated, Authenticator } from "./authenticate.ts";
import type { GitHubUserApi } from "./github-user.ts";
import type { CookieSealer } from "./sealed-cookie.ts";
import type { StepFeed } from "./step-feed.ts";

/** What every dashboard and API route uses. */
export type WebContext = {
  /** Where people reach this server, without a trailing slash. */
  publicUrl: string;
  /** GitHub's web origin (github.com or the Enterprise Server). */
  githubUrl: string;
  /** Whether "Sign in with GitHub" is configured. */
  oauth: boolean;
  /** The database once it is open; undefined while the process starts. */
  database(): Database | undefined;
  github: GitHubUserApi;
  sealer: CookieSealer;
  authenticate: Authenticator;
  access: AccessControl;
  feed: StepFeed;
  log: Logger;
  now(): Date;
};

/** One request as a route sees it. */
export type RouteRequest = {
  request: IncomingMessage;
  response: ServerResponse;
  url: URL;
  /** The path pattern's groups. */
  params: string[];
};

/** A request from someone known, with what they may see. */
export type Signed = { who: Authenticated; viewer: Viewer; access: Access; db: Database };

export type Route = {
  method: "GET" | "POST";
  path: RegExp;
  handle(context: WebContext, route: RouteRequest): Promise<void>;
};
