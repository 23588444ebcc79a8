type LinesMatch = (fileLine: string, patternLine: string) => boolean;

/** Typographic punctuation mapped to the ASCII a model tends to type instead. */
function normalisePunctuation(line: string): string {
  return line
    .trim()
    .replace(/[\u2010-\u2015\u2212]/g, "-")
    .replace(/[\u2018-\u201B]/g, "'")
    .replace(/[\u201C-\u201F]/g, '"')
    .replace(/[\u00A0\u2002-\u200A\u202F\u205F\u3000]/g, " ");
}

/** From strictest to most lenient; the first level with any match wins. */
const MATCH_LEVELS: LinesMatch[] = [
  (fileLine, patternLine) => fileLine === patternLine,
  (fileLine, patternLine) => fileLine.trimEnd() === patternLine.trimEnd(),
  (fileLine, patternLine) => fileLine.trim() === patternLine.trim(),
  (fileLine, patternLine) => normalisePunctuation(fileLine) === normalisePunctuation(patternLine),
];

/**
 * Finds where `pattern` occurs in `lines` at or after `start`, as codex-rs's `seek_sequence` does:
 * an exact match anywhere first, then ignoring trailing whitespace, then surrounding whitespace, then
 * after normalising Unicode dashes, quotes and spaces. With `endOfFile`, only the position that ends the
 * file is tried. Returns the index of the first matching line, or undefined.
 *
 * @example
 * seekSequence(["a", "b  ", "c"], ["b", "c"], 0, false); // → 1 (trailing whitespace ignored)
 */
export function seekSequence(
  lines: readonly string[],
  pattern: readonly string[],
  start: number,
  endOfFile: boolean,
): number | undefined {
  if (pattern.length === 0) return start;
  if (pattern.length > lines.length) return undefined;
  const last = lines.length - pattern.length;
  const first = endOfFile ? last : start;
  for (const matches of MATCH_LEVELS) {
    for (let at = first; at <= last; at++) {
      if (pattern.every((patternLine, offset) => matches(lines[at + offset] ?? "", patternLine))) return at;
    }
  }
  return undefined;
}
