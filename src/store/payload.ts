/** Longest string kept whole inside a stored payload; longer ones keep their head and tail. */
const MAX_STRING = 16_384;
/** Largest stored payload, as JSON. */
const MAX_PAYLOAD = 65_536;

/**
 * Keeps the head and tail of a long string with a marker saying how much was cut. NUL characters
 * are dropped because PostgreSQL text and jsonb cannot hold them.
 *
 * @example
 * capText("x".repeat(100), 20); // "xxxxxxxxx…[80 chars cut]…xxxxxxxxx" (roughly)
 */
export function capText(text: string, max = MAX_STRING): string {
  const clean = text.includes("\u0000") ? text.replaceAll("\u0000", "") : text;
  if (clean.length <= max) return clean;
  const keep = Math.floor(max / 2);
  return `${clean.slice(0, keep)}\n…[${clean.length - 2 * keep} chars cut]…\n${clean.slice(-keep)}`;
}

function capStrings(value: unknown, max: number): unknown {
  if (typeof value === "string") return capText(value, max);
  if (Array.isArray(value)) return value.map((item) => capStrings(item, max));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, capStrings(item, max)]));
  }
  return value;
}

/**
 * Makes a value safe and small enough to store as jsonb: long strings are cut head+tail, and a
 * payload still over the cap is replaced by a truncated JSON preview.
 *
 * @example
 * await db.query("insert ... values ($1)", [JSON.stringify(capPayload({ output }))]);
 */
export function capPayload(value: unknown): unknown {
  let capped = capStrings(value ?? {}, MAX_STRING);
  let json = JSON.stringify(capped) ?? "null";
  if (json.length > MAX_PAYLOAD) {
    capped = capStrings(capped, 1_024);
    json = JSON.stringify(capped);
  }
  if (json.length > MAX_PAYLOAD) return { truncated: true, preview: capText(json, MAX_PAYLOAD / 2) };
  return capped;
}
