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

/** The window of `lines` most like `pattern`, and the first of its lines that differs. */
export type ClosestMatch = {
  /** Index in `lines` where the window starts. */
  at: number;
  /** How many pattern lines match their line of the window (leniently, as the last match level). */
  matching: number;
  /** Offset in the pattern of the first line that differs. */
  firstDifference: number;
};

/**
 * Where `pattern` comes closest to occurring in `lines`, for an error that says what differs: the
 * window (it may run past the end of the file) with the most lines matching at the most lenient
 * level, preferring windows at or after `start`, then the earliest. Undefined when no line matches.
 *
 * @example
 * closestMatch(["a", "b", "x", "d"], ["a", "b", "c", "d"], 0); // → { at: 0, matching: 3, firstDifference: 2 }
 */
export function closestMatch(
  lines: readonly string[],
  pattern: readonly string[],
  start: number,
): ClosestMatch | undefined {
  const lenient = MATCH_LEVELS[MATCH_LEVELS.length - 1] as LinesMatch;
  let best: (ClosestMatch & { after: boolean }) | undefined;
  for (let at = 0; at < lines.length; at++) {
    let matching = 0;
    let firstDifference = -1;
    pattern.forEach((patternLine, offset) => {
      const line = lines[at + offset];
      if (line !== undefined && lenient(line, patternLine)) matching++;
      else if (firstDifference === -1) firstDifference = offset;
    });
    const after = at >= start;
    const better =
      best === undefined || matching > best.matching || (matching === best.matching && after && !best.after);
    if (matching > 0 && firstDifference !== -1 && better) best = { at, matching, firstDifference, after };
  }
  return best && { at: best.at, matching: best.matching, firstDifference: best.firstDifference };
}
