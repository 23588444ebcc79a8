/**
 * The cookies of a request's `Cookie` header by name (the first of a repeated name wins; values
 * that are not valid percent-encoding are skipped).
 *
 * @example
 * parseCookies("lw_session=abc; theme=dark").get("lw_session"); // "abc"
 */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at < 1) continue;
    const name = part.slice(0, at).trim();
    if (cookies.has(name)) continue;
    try {
      cookies.set(name, decodeURIComponent(part.slice(at + 1).trim()));
    } catch {
      // not ours: a malformed value is ignored
    }
  }
  return cookies;
}

export type CookieOptions = {
  /** Seconds until the browser drops it; 0 deletes it now. */
  maxAge: number;
  /** Only over HTTPS (when the dashboard's public URL is https). */
  secure: boolean;
  path?: string;
};

/**
 * A `Set-Cookie` value: httpOnly and SameSite=Lax always, so page scripts cannot read it and other
 * sites cannot send it with a POST.
 *
 * @example
 * response.setHeader("set-cookie", serializeCookie("lw_session", sealed, { maxAge: 28_800, secure: false }));
 */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  return [
    `${name}=${encodeURIComponent(value)}`,
    `Path=${options.path ?? "/"}`,
    `Max-Age=${Math.max(0, Math.floor(options.maxAge))}`,
    "HttpOnly",
    "SameSite=Lax",
    ...(options.secure ? ["Secure"] : []),
  ].join("; ");
}
