/** Removes credentials from text before it is logged, stored in a step log or shown to anyone. */

const REPLACEMENT = "[REDACTED]";

/**
 * Token shapes worth hiding even when nobody told us the value: GitHub tokens (installation `ghs_`,
 * personal `ghp_`/`github_pat_`, OAuth `gho_`, user-to-server `ghu_`, refresh `ghr_`, the old
 * `v1.` installation format), OpenAI-style `sk-` keys, HTTP Authorization header values,
 * passwords in URLs and PEM private keys.
 */
const TOKEN_PATTERNS: RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  /\bsk-[A-Za-z0-9_-]{20,}/g,
  /\bv1\.[0-9a-f]{40}\b/g,
];

/** Keeps the scheme word of an Authorization header and hides its value. */
const AUTHORIZATION_HEADER = /(authorization:\s*(?:basic|bearer|token)\s+)[^\s"']+/gi;
/** Keeps the user of `scheme://user:password@host` and hides the password. */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)[^\s/@]+@/gi;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Returns `text` with token-shaped strings and every given secret replaced by `[REDACTED]`.
 * Empty secrets are ignored; longer secrets are replaced first so a secret containing another
 * is hidden whole.
 *
 * @example
 * redactSecrets("cloning with ghs_16C7e42F292c6912E7710c838347Ae178B4a");
 * // "cloning with [REDACTED]"
 * redactSecrets("password is hunter22", ["hunter22"]); // "password is [REDACTED]"
 */
export function redactSecrets(text: string, secrets: Iterable<string | undefined> = []): string {
  let result = text;
  const explicit = [...secrets]
    .filter((secret): secret is string => typeof secret === "string" && secret.length > 0)
    .sort((a, b) => b.length - a.length);
  for (const secret of explicit) {
    result = result.replace(new RegExp(escapeRegExp(secret), "g"), REPLACEMENT);
  }
  result = result.replace(AUTHORIZATION_HEADER, `$1${REPLACEMENT}`);
  result = result.replace(URL_PASSWORD, `$1${REPLACEMENT}@`);
  for (const pattern of TOKEN_PATTERNS) result = result.replace(pattern, REPLACEMENT);
  return result;
}
