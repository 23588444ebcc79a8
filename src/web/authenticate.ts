import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Viewer } from "./access.ts";
import { parseCookies } from "./cookie-header.ts";
import type { GitHubUserApi } from "./github-user.ts";
import type { CookieSealer } from "./sealed-cookie.ts";

/** The session cookie's name. */
export const SESSION_COOKIE = "lw_session";
/** How long a sign-in lasts (GitHub App user tokens live 8 hours). */
export const SESSION_SECONDS = 8 * 3_600;

/** What the sealed session cookie holds. */
export type Session = { login: string; token: string; csrf: string };

/** How a request proved who it is: a browser session (needs CSRF tokens to change anything) or a bearer token. */
export type Authenticated = { viewer: Viewer; session: Session | undefined };

export type Authenticator = (request: IncomingMessage) => Promise<Authenticated | undefined>;

const digest = (text: string): Buffer => createHash("sha256").update(text).digest();

/**
 * Finds who sent a request: `Authorization: Bearer <token>` (the local administrator's token from
 * the data folder, or a GitHub user token, whose owner is asked of GitHub once per `ttlMs`), else
 * the sealed session cookie. Logins in `admins` (case-insensitive) are administrators.
 *
 * @example
 * const authenticate = createAuthenticator({ sealer, github, admins: ["octocat"], localToken });
 * const who = await authenticate(request); // undefined: nobody signed in
 */
export function createAuthenticator(options: {
  sealer: CookieSealer;
  github: GitHubUserApi;
  admins: readonly string[];
  localToken: string | undefined;
  ttlMs?: number;
  now?: () => number;
}): Authenticator {
  const admins = new Set(options.admins.map((login) => login.toLowerCase()));
  const ttlMs = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const owners = new Map<string, { login: Promise<string>; expires: number }>();
  const local = options.localToken === undefined ? undefined : digest(options.localToken);

  function ownerOf(token: string): Promise<string> {
    const key = digest(token).toString("hex");
    const found = owners.get(key);
    if (found && found.expires > now()) return found.login;
    if (owners.size >= 2_000) owners.delete(owners.keys().next().value as string);
    const login = options.github.user(token).then((user) => user.login);
    owners.set(key, { login, expires: now() + ttlMs });
    login.catch(() => owners.delete(key));
    return login;
  }

  return async (request) => {
    const header = request.headers.authorization;
    if (typeof header === "string" && /^bearer\s+/i.test(header)) {
      const token = header.replace(/^bearer\s+/i, "").trim();
      if (token === "") return undefined;
      if (local && timingSafeEqual(digest(token), local)) {
        return {
          viewer: { login: "local administrator", admin: true, token: undefined },
          session: undefined,
        };
      }
      const login = await ownerOf(token);
      return { viewer: { login, admin: admins.has(login.toLowerCase()), token }, session: undefined };
    }
    const sealed = parseCookies(request.headers.cookie).get(SESSION_COOKIE);
    const session = sealed === undefined ? undefined : options.sealer.open<Session>(sealed);
    if (!session || typeof session.login !== "string" || typeof session.token !== "string") return undefined;
    return {
      viewer: { login: session.login, admin: admins.has(session.login.toLowerCase()), token: session.token },
      session,
    };
  };
}
