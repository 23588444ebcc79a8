import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/**
 * Whether a form's or header's CSRF token is the session's own (compared in constant time).
 *
 * @example
 * if (!csrfTokenMatches(session.csrf, form.get("csrf"))) return forbidden();
 */
export function csrfTokenMatches(expected: string, given: string | null | undefined): boolean {
  if (typeof given !== "string" || given === "") return false;
  // Hashing first makes both sides the same length, so the comparison leaks nothing about it.
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(expected), digest(given));
}

/**
 * Whether a state-changing request comes from the dashboard's own pages: its `Origin` (or, without
 * one, its `Referer`) must be the dashboard's origin. Browsers send one of them with every POST
 * from a page; a request with neither is not from a browser form and passes on the token alone.
 *
 * @example
 * if (!fromOwnOrigin(request, "https://loopwright.example.com")) return forbidden();
 */
export function fromOwnOrigin(request: IncomingMessage, publicUrl: string): boolean {
  const own = new URL(publicUrl).origin;
  const host = request.headers.host;
  const allowed = new Set([own, ...(host ? [`http://${host}`, `https://${host}`] : [])]);
  const origin = request.headers.origin;
  if (typeof origin === "string" && origin !== "") return allowed.has(origin);
  const referer = request.headers.referer;
  if (typeof referer === "string" && referer !== "") {
    return URL.canParse(referer) && allowed.has(new URL(referer).origin);
  }
  return true;
}
