import { html, type SafeHtml } from "./html.ts";
import { layout, type PageViewer } from "./layout.ts";

/**
 * A page that only says something: an error, why the dashboard is off, the sign-in prompt.
 *
 * @example
 * messagePage("Not found", html`<p>There is no task 42, or you cannot see it.</p>`, viewer);
 */
export function messagePage(title: string, message: SafeHtml, viewer?: PageViewer): SafeHtml {
  return layout({ title, viewer, body: html`<h1>${title}</h1><div class="notice">${message}</div>` });
}

/** What the dashboard answers when the App's OAuth credentials are not configured. */
export function dashboardOffPage(publicUrl: string): SafeHtml {
  return messagePage(
    "The dashboard is off",
    html`<p>Signing in needs the GitHub App's OAuth credentials, and this server has none.</p>
<p>To turn the dashboard on, open the App's settings on GitHub (Settings → Developer settings → GitHub Apps →
your App), then:</p>
<ol>
<li>set its <b>Callback URL</b> to <code>${publicUrl}/dashboard/auth/callback</code>;</li>
<li>copy its <b>Client ID</b> into <code>GITHUB_CLIENT_ID</code> and generate a <b>client secret</b> for
<code>GITHUB_CLIENT_SECRET</code> (in <code>.env</code>; Probot's setup page writes both when it registers the App);</li>
<li>set <code>PUBLIC_URL</code> when people reach this server at another address than
<code>${publicUrl}</code>, and restart.</li>
</ol>
<p>The JSON API at <code>/api/v1/</code> works meanwhile with <code>Authorization: Bearer</code> and a GitHub
user token.</p>`,
  );
}

/** The page asking a visitor to sign in. */
export function signInPage(returnTo: string): SafeHtml {
  return messagePage(
    "Sign in",
    html`<p>Loopwright shows the tasks of the repositories you can read on GitHub.</p>
<p><a class="btn btn-primary" href="/dashboard/sign-in?return_to=${encodeURIComponent(returnTo)}">Sign in with GitHub</a></p>`,
  );
}
