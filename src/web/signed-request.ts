import { SESSION_COOKIE } from "./authenticate.ts";
import { serializeCookie } from "./cookie-header.ts";
import { GitHubAuthError } from "./github-user.ts";
import { html } from "./html.ts";
import type { PageViewer } from "./layout.ts";
import { dashboardOffPage, messagePage, signInPage } from "./message-page.ts";
import { sendHtml, sendJson } from "./respond.ts";
import type { RouteRequest, Signed, WebContext } from "./web-context.ts";

/** The header's view of a signed request. */
export function pageViewer(signed: Signed): PageViewer {
  return { login: signed.viewer.login, csrf: signed.who.session?.csrf };
}

/**
 * The signed-in viewer of a page request, or undefined once the request has been answered: 503
 * while the database opens, the "dashboard is off" page without OAuth credentials, else the sign-in
 * page (401).
 *
 * @example
 * const signed = await signedPage(context, route); if (!signed) return;
 */
export async function signedPage(context: WebContext, route: RouteRequest): Promise<Signed | undefined> {
  const { request, response, url } = route;
  const db = context.database();
  if (!db) {
    context.log.debug({ path: url.pathname }, "dashboard: the database is not open yet");
    sendHtml(
      response,
      503,
      messagePage("Starting", html`<p>Loopwright is opening its database; reload in a few seconds.</p>`),
      context.githubUrl,
      { "retry-after": "5" },
    );
    return undefined;
  }
  let who: Awaited<ReturnType<WebContext["authenticate"]>>;
  try {
    who = await context.authenticate(request);
  } catch (error) {
    if (!(error instanceof GitHubAuthError)) throw error;
    who = undefined;
  }
  if (!who) {
    context.log.debug({ path: url.pathname }, "dashboard: not signed in");
    if (!context.oauth) sendHtml(response, 503, dashboardOffPage(context.publicUrl), context.githubUrl);
    else sendHtml(response, 401, signInPage(`${url.pathname}${url.search}`), context.githubUrl);
    return undefined;
  }
  return { who, viewer: who.viewer, access: context.access.for(who.viewer), db };
}

/**
 * The authenticated caller of an API request, or undefined once answered (503 while starting, 401
 * without a valid session cookie or `Authorization: Bearer` token).
 *
 * @example
 * const signed = await signedApi(context, route); if (!signed) return;
 */
export async function signedApi(context: WebContext, route: RouteRequest): Promise<Signed | undefined> {
  const { request, response } = route;
  const db = context.database();
  if (!db) {
    context.log.debug({ path: route.url.pathname }, "API: the database is not open yet");
    sendJson(response, 503, { error: "Loopwright is starting; try again in a few seconds" });
    return undefined;
  }
  let who: Awaited<ReturnType<WebContext["authenticate"]>>;
  try {
    who = await context.authenticate(request);
  } catch (error) {
    if (!(error instanceof GitHubAuthError)) throw error;
    sendJson(response, 401, { error: "GitHub does not accept this token (revoked or expired)" });
    return undefined;
  }
  if (!who) {
    context.log.debug({ path: route.url.pathname }, "API: no valid session or token");
    sendJson(response, 401, {
      error: "not signed in: send Authorization: Bearer with a GitHub user token, or sign in at /dashboard",
    });
    return undefined;
  }
  return { who, viewer: who.viewer, access: context.access.for(who.viewer), db };
}

/**
 * Answers a request whose GitHub sign-in has run out (GitHub refused the user's token while checking
 * access): pages clear the session and ask to sign in again, the API says 401.
 *
 * @example
 * catch (error) { if (error instanceof GitHubAuthError) return expiredSignIn(context, route, "page"); }
 */
export function expiredSignIn(context: WebContext, route: RouteRequest, kind: "page" | "api"): void {
  if (kind === "api") {
    sendJson(route.response, 401, { error: "GitHub no longer accepts this sign-in; sign in again" });
    return;
  }
  sendHtml(route.response, 401, signInPage(`${route.url.pathname}${route.url.search}`), context.githubUrl, {
    "set-cookie": serializeCookie(SESSION_COOKIE, "", {
      maxAge: 0,
      secure: context.publicUrl.startsWith("https:"),
    }),
  });
}
