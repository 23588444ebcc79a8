/** Limits for text shown to the model: whichever of bytes or lines is hit first. */
export type TruncateLimits = { maxBytes: number; maxLines: number };

export type Truncated = {
  text: string;
  truncated: boolean;
  /** Lines removed from the middle (a line cut part-way counts as removed). */
  cutLines: number;
  cutBytes: number;
};

/** The default limits for tool output given back to the model: 10 KiB or 256 lines. */
export const MODEL_OUTPUT_LIMITS: TruncateLimits = { maxBytes: 10 * 1024, maxLines: 256 };

const encoder = new TextEncoder();
const byteLength = (text: string): number => encoder.encode(text).length;

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8, never splitting a character. */
function prefixWithinBytes(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = byteLength(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/** The longest suffix of `text` that fits in `maxBytes` of UTF-8, never splitting a character. */
function suffixWithinBytes(text: string, maxBytes: number): string {
  const chars = Array.from(text);
  let bytes = 0;
  let start = chars.length;
  while (start > 0) {
    const size = byteLength(chars[start - 1] ?? "");
    if (bytes + size > maxBytes) break;
    bytes += size;
    start -= 1;
  }
  return chars.slice(start).join("");
}

/**
 * Keeps the head and tail of `text` within the limits and replaces the middle by a marker saying
 * how many lines and bytes were cut; the model sees both how a command started and how it ended.
 * Whole lines are kept where they fit; a single line longer than the budget is cut at a character.
 *
 * @example
 * truncateHeadTail("a\nb\nc\nd\ne", { maxBytes: 1000, maxLines: 2 }).text;
 * // "a\n[... 3 lines (5 bytes) cut ...]\ne"
 */
export function truncateHeadTail(text: string, limits: TruncateLimits = MODEL_OUTPUT_LIMITS): Truncated {
  const totalBytes = byteLength(text);
  const lines = text.split("\n");
  if (totalBytes <= limits.maxBytes && lines.length <= limits.maxLines) {
    return { text, truncated: false, cutLines: 0, cutBytes: 0 };
  }
  const headLineBudget = Math.max(1, Math.ceil(limits.maxLines / 2));
  // Infinity - Infinity is NaN: an unlimited line count leaves the tail unlimited too.
  const tailLineBudget = Number.isFinite(limits.maxLines)
    ? Math.max(0, limits.maxLines - headLineBudget)
    : limits.maxLines;
  const headByteBudget = Math.ceil(limits.maxBytes / 2);
  const tailByteBudget = limits.maxBytes - headByteBudget;

  const head: string[] = [];
  let headBytes = 0;
  for (const line of lines) {
    if (head.length >= headLineBudget) break;
    const size = byteLength(line) + 1;
    if (headBytes + size > headByteBudget) {
      // Only the first line may be cut part-way, so something of a one-line flood stays visible.
      if (head.length === 0) head.push(prefixWithinBytes(line, headByteBudget));
      break;
    }
    head.push(line);
    headBytes += size;
  }
  const fullHead = head.filter((line, index) => line === lines[index]).length;
  const tail: string[] = [];
  let tailBytes = 0;
  for (let index = lines.length - 1; index >= fullHead && tail.length < tailLineBudget; index -= 1) {
    const line = lines[index] ?? "";
    const size = byteLength(line) + 1;
    if (index >= head.length && tailBytes + size <= tailByteBudget) {
      tail.unshift(line);
      tailBytes += size;
      continue;
    }
    if (tail.length === 0) {
      // The head may already show the start of this line: take only what it does not.
      const shownByHead = index < head.length ? byteLength(head[index] ?? "") : 0;
      const budget = Math.min(tailByteBudget, byteLength(line) - shownByHead);
      if (budget > 0) tail.unshift(suffixWithinBytes(line, budget));
    }
    break;
  }
  const fullTail = tail.filter((line, index) => line === lines[lines.length - tail.length + index]).length;
  const cutLines = lines.length - fullHead - fullTail;
  // What the marker replaces, less the line breaks kept around it.
  const headText = head.join("\n");
  const tailText = tail.join("\n");
  const middle = text.slice(headText.length, text.length - tailText.length);
  const cutBytes =
    byteLength(middle) -
    (middle.startsWith("\n") ? 1 : 0) -
    (middle.length > 1 && middle.endsWith("\n") ? 1 : 0);
  const marker = `[... ${cutLines} ${cutLines === 1 ? "line" : "lines"} (${cutBytes} bytes) cut ...]`;
  return { text: [...head, marker, ...tail].join("\n"), truncated: true, cutLines, cutBytes };
}
