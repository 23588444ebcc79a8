/**
 * Removes credentials from text before it is logged, stored (step log, transcript), committed or
 * written to GitHub: token-shaped strings, and the exact values of this process's own secrets
 * (the App's private key, webhook secret, API keys, installation tokens), which are remembered here
 * as they are loaded or minted.
 */

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

/** Secrets shorter than this are not remembered: replacing them would garble ordinary text. */
const MIN_REMEMBERED_LENGTH = 8;
const remembered = new Set<string>();

/**
 * Remembers one of this process's secret values, so every later redaction hides it wherever it
 * appears (as is, or escaped inside JSON). A PEM key is also remembered line by line.
 *
 * @example
 * rememberSecret(settings.github.webhookSecret);
 */
export function rememberSecret(value: string | undefined): void {
  if (typeof value !== "string" || value.trim().length < MIN_REMEMBERED_LENGTH) return;
  remembered.add(value);
  const escaped = JSON.stringify(value).slice(1, -1);
  if (escaped !== value) remembered.add(escaped);
  if (value.includes("-----BEGIN")) {
    for (const line of value.split(/\r?\n/))
      if (line.length >= 40 && !line.startsWith("-----")) remembered.add(line);
  }
}

/**
 * Returns `text` with token-shaped strings, every remembered secret and every given one replaced by
 * `[REDACTED]`. Empty secrets are ignored; longer secrets are replaced first so a secret containing
 * another is hidden whole.
 *
 * @example
 * redactSecrets("cloning with ghs_16C7e42F292c6912E7710c838347Ae178B4a");
 * // "cloning with [REDACTED]"
 * redactSecrets("password is hunter22", ["hunter22"]); // "password is [REDACTED]"
 */
export function redactSecrets(text: string, secrets: Iterable<string | undefined> = []): string {
  let result = text;
  const explicit = [...secrets, ...remembered]
    .filter((secret): secret is string => typeof secret === "string" && secret.length > 0)
    .sort((a, b) => b.length - a.length);
  for (const secret of explicit) {
    if (result.includes(secret)) result = result.replaceAll(secret, REPLACEMENT);
  }
  result = result.replace(AUTHORIZATION_HEADER, `$1${REPLACEMENT}`);
  result = result.replace(URL_PASSWORD, `$1${REPLACEMENT}@`);
  for (const pattern of TOKEN_PATTERNS) result = result.replace(pattern, REPLACEMENT);
  return result;
}

/**
 * A copy of a JSON-like value with every string redacted (see `redactSecrets`); keys are kept.
 *
 * @example
 * redactDeep({ output: "token ghp_aaaaaaaaaaaaaaaaaaaaaaaa" }); // { output: "token [REDACTED]" }
 */
export function redactDeep<T>(value: T): T {
  if (typeof value === "string") return redactSecrets(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item)) as T;
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactDeep(item)])) as T;
  }
  return value;
}
