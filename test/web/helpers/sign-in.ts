/** The `name=value` pairs of a response's Set-Cookie headers, as a Cookie header. */
function cookiesOf(response: Response): string[] {
  return response.headers.getSetCookie().map((cookie) => cookie.split(";")[0] as string);
}

/**
 * Signs in to the dashboard at `base` through its "Sign in with GitHub" flow against the fake GitHub
 * (which signs in whoever it was told to), following each redirect by hand; resolves to the session's
 * Cookie header.
 *
 * @example
 * const cookie = await signIn(server.url);
 */
export async function signIn(base: string): Promise<string> {
  const start = await fetch(`${base}/dashboard/sign-in?return_to=/dashboard`, { redirect: "manual" });
  if (start.status !== 303) throw new Error(`sign-in answered ${start.status}: ${await start.text()}`);
  const oauthCookie = cookiesOf(start).join("; ");
  const authorize = await fetch(start.headers.get("location") as string, { redirect: "manual" });
  const callback = authorize.headers.get("location") as string;
  const done = await fetch(callback, { redirect: "manual", headers: { cookie: oauthCookie } });
  if (done.status !== 303) throw new Error(`the callback answered ${done.status}: ${await done.text()}`);
  const session = cookiesOf(done).find((cookie) => cookie.startsWith("lw_session="));
  if (!session) throw new Error("the callback set no session cookie");
  return session;
}

/** The CSRF token in a page's forms. */
export function csrfOf(page: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(page);
  if (!match?.[1]) throw new Error("the page has no CSRF token");
  return match[1];
}
