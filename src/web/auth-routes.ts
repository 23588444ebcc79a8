import { randomBytes } from "node:crypto";
import { SESSION_COOKIE, SESSION_SECONDS, type Session } from "./authenticate.ts";
import { parseCookies, serializeCookie } from "./cookie-header.ts";
import { csrfTokenMatches, fromOwnOrigin } from "./csrf.ts";
import { GitHubAuthError } from "./github-user.ts";
import { html } from "./html.ts";
import { dashboardOffPage, messagePage } from "./message-page.ts";
import { readForm, redirect, sendHtml } from "./respond.ts";
import type { Route, WebContext } from "./web-context.ts";

/** The cookie carrying the OAuth state between "Sign in" and GitHub's callback. */
const OAUTH_COOKIE = "lw_oauth";
const OAUTH_SECONDS = 600;

type OAuthState = { state: string; returnTo: string };

/** Only the dashboard's own pages are places to return to after signing in (no open redirect). */
export function safeReturnTo(value: string | null | undefined): string {
  return typeof value === "string" && /^\/dashboard(?:[/?#]|$)/.test(value) && !value.includes("\\")
    ? value
    : "/dashboard";
}

const secure = (context: WebContext): boolean => context.publicUrl.startsWith("https:");
const callbackUrl = (context: WebContext): string => `${context.publicUrl}/dashboard/auth/callback`;

/** "Sign in with GitHub": a state cookie, then off to GitHub's authorize page. */
const signIn: Route = {
  method: "GET",
  path: /^\/dashboard\/sign-in$/,
  async handle(context, { response, url }) {
    if (!context.oauth)
      return sendHtml(response, 503, dashboardOffPage(context.publicUrl), context.githubUrl);
    const state = randomBytes(24).toString("base64url");
    const sealed = context.sealer.seal(
      { state, returnTo: safeReturnTo(url.searchParams.get("return_to")) } satisfies OAuthState,
      OAUTH_SECONDS,
    );
    redirect(response, context.github.authorizeUrl(state, callbackUrl(context)), {
      "set-cookie": serializeCookie(OAUTH_COOKIE, sealed, { maxAge: OAUTH_SECONDS, secure: secure(context) }),
    });
  },
};

/** GitHub's redirect back: check the state, trade the code for the user's token, start the session. */
const callback: Route = {
  method: "GET",
  path: /^\/dashboard\/auth\/callback$/,
  async handle(context, { request, response, url }) {
    if (!context.oauth)
      return sendHtml(response, 503, dashboardOffPage(context.publicUrl), context.githubUrl);
    const fail = (status: number, message: string) => {
      context.log.info({ reason: message }, "dashboard sign-in refused");
      sendHtml(
        response,
        status,
        messagePage(
          "Sign-in failed",
          html`<p>${message}</p><p><a href="/dashboard/sign-in">Try again</a></p>`,
        ),
        context.githubUrl,
        { "set-cookie": serializeCookie(OAUTH_COOKIE, "", { maxAge: 0, secure: secure(context) }) },
      );
    };
    const denied = url.searchParams.get("error_description") ?? url.searchParams.get("error");
    if (denied) return fail(400, `GitHub did not sign you in: ${denied}`);
    const sealed = parseCookies(request.headers.cookie).get(OAUTH_COOKIE);
    const expected = sealed === undefined ? undefined : context.sealer.open<OAuthState>(sealed);
    if (!expected || !csrfTokenMatches(expected.state, url.searchParams.get("state"))) {
      return fail(400, "This sign-in link is not valid here (expired, or started in another browser).");
    }
    const code = url.searchParams.get("code");
    if (!code) return fail(400, "GitHub's answer carried no authorization code.");
    let session: Session;
    try {
      const token = await context.github.exchangeCode(code, callbackUrl(context));
      const { login } = await context.github.user(token);
      session = { login, token, csrf: randomBytes(24).toString("base64url") };
    } catch (error) {
      if (error instanceof GitHubAuthError) return fail(502, error.message);
      throw error;
    }
    context.log.info({ login: session.login }, "dashboard sign-in");
    redirect(response, expected.returnTo, {
      "set-cookie": [
        serializeCookie(SESSION_COOKIE, context.sealer.seal(session, SESSION_SECONDS), {
          maxAge: SESSION_SECONDS,
          secure: secure(context),
        }),
        serializeCookie(OAUTH_COOKIE, "", { maxAge: 0, secure: secure(context) }),
      ],
    });
  },
};

/** Ends the session (a POST with the session's CSRF token). */
const signOut: Route = {
  method: "POST",
  path: /^\/dashboard\/sign-out$/,
  async handle(context, { request, response }) {
    const who = await context.authenticate(request).catch(() => undefined);
    const form = await readForm(request);
    if (
      who?.session &&
      (!fromOwnOrigin(request, context.publicUrl) || !csrfTokenMatches(who.session.csrf, form.get("csrf")))
    ) {
      context.log.info({ login: who.viewer.login }, "sign-out refused: bad CSRF token or origin");
      return sendHtml(
        response,
        403,
        messagePage("Not signed out", html`<p>This form is out of date; reload the page and try again.</p>`),
        context.githubUrl,
      );
    }
    redirect(response, "/dashboard", {
      "set-cookie": serializeCookie(SESSION_COOKIE, "", { maxAge: 0, secure: secure(context) }),
    });
  },
};

/** The sign-in, OAuth callback and sign-out routes. */
export const authRoutes: Route[] = [signIn, callback, signOut];
