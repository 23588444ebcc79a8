import { DiffError, type FileDiff } from "./unified-diff.ts";

/** A file as lines, and whether its last line ends with a newline. */
type Lines = { lines: string[]; finalNewline: boolean };

function toLines(text: string): Lines {
  if (text === "") return { lines: [], finalNewline: true };
  const lines = text.split("\n");
  const finalNewline = lines.at(-1) === "";
  if (finalNewline) lines.pop();
  return { lines, finalNewline };
}

const sameAt = (lines: readonly string[], at: number, expected: readonly string[]) =>
  at >= 0 &&
  at + expected.length <= lines.length &&
  expected.every((line, offset) => lines[at + offset] === line);

/**
 * Applies one file's diff to its old text exactly, as `git apply` would: each hunk's old lines must
 * be found as they are (at the stated line, else at the nearest position that matches), and
 * `\ No newline at end of file` is honoured. Returns the new text, or null when the diff deletes the
 * file. For an added file pass `undefined` as the old text.
 *
 * @example
 * applyFileDiff("a\nb\n", parseUnifiedDiff(testPatch)[0]); // "a\nB\n"
 * @throws DiffError naming the file and the hunk that does not apply
 */
export function applyFileDiff(oldText: string | undefined, file: FileDiff): string | null {
  const shown = file.newPath ?? file.oldPath ?? "a file";
  if (file.binary) throw new DiffError(`${shown}: binary changes cannot be applied`);
  if (file.newPath === null) return null;
  const result = toLines(oldText ?? "");
  let delta = 0;
  file.hunks.forEach((hunk, index) => {
    const expected = hunk.lines.filter((line) => line[0] !== "+").map((line) => line.slice(1));
    const replacement = hunk.lines.filter((line) => line[0] !== "-").map((line) => line.slice(1));
    const stated = (hunk.oldLines === 0 ? hunk.oldStart : hunk.oldStart - 1) + delta;
    let at: number | undefined;
    for (let distance = 0; at === undefined && distance <= result.lines.length; distance++) {
      if (sameAt(result.lines, stated - distance, expected)) at = stated - distance;
      else if (sameAt(result.lines, stated + distance, expected)) at = stated + distance;
    }
    if (at === undefined) {
      throw new DiffError(
        `${shown}: hunk ${index + 1} (@@ -${hunk.oldStart},${hunk.oldLines}) does not apply`,
      );
    }
    result.lines.splice(at, expected.length, ...replacement);
    delta += replacement.length - expected.length + (at - stated);
    if (hunk.oldNoNewline || hunk.newNoNewline) result.finalNewline = !hunk.newNoNewline;
  });
  if (oldText === undefined && file.hunks.length > 0) {
    result.finalNewline = !(file.hunks.at(-1) as FileDiff["hunks"][number]).newNoNewline;
  }
  return result.lines.length === 0 ? "" : `${result.lines.join("\n")}${result.finalNewline ? "\n" : ""}`;
}
