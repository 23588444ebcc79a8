import type { IncomingMessage, ServerResponse } from "node:http";
import type { SafeHtml } from "./html.ts";

/** Headers on every dashboard page: no framing, no inline script, nothing cached. */
export function pageHeaders(githubUrl: string): Record<string, string> {
  return {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "content-security-policy": [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "connect-src 'self'",
      `form-action 'self' ${new URL(githubUrl).origin}`,
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
  };
}

/**
 * Sends a dashboard page.
 *
 * @example
 * sendHtml(response, 404, messagePage("Not found", html`<p>No such task.</p>`), githubUrl);
 */
export function sendHtml(
  response: ServerResponse,
  status: number,
  page: SafeHtml,
  githubUrl: string,
  headers: Record<string, string | string[]> = {},
): void {
  response.writeHead(status, { ...pageHeaders(githubUrl), ...headers });
  response.end(page.value);
}

/**
 * Sends a JSON answer (errors as `{ "error": "…" }`).
 *
 * @example
 * sendJson(response, 403, { error: "stopping a task needs write access to octo/app" });
 */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  response.end(JSON.stringify(body));
}

/** A 303 to `location` (after a POST, or to send the browser elsewhere). */
export function redirect(
  response: ServerResponse,
  location: string,
  headers: Record<string, string | string[]> = {},
) {
  response.writeHead(303, { location, "cache-control": "no-store", ...headers });
  response.end();
}

/** A request body was too large or not a form. */
export class BodyError extends Error {
  override name = "BodyError";
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * Reads an `application/x-www-form-urlencoded` body of at most `maxBytes` (an empty body is an
 * empty form).
 *
 * @example
 * const form = await readForm(request); form.get("csrf");
 * @throws BodyError (413 or 415) for a body that is too large or of another type
 */
export async function readForm(request: IncomingMessage, maxBytes = 16_384): Promise<URLSearchParams> {
  const type = (request.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new BodyError(413, `the request body is larger than ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return new URLSearchParams();
  if (type !== "application/x-www-form-urlencoded") {
    throw new BodyError(415, "expected a form (application/x-www-form-urlencoded)");
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}
