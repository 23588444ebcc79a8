import { ApplyPatchError } from "./error.ts";
import type { UpdateFileChunk } from "./parser.ts";
import { closestMatch, seekSequence } from "./seek-sequence.ts";

type Replacement = { start: number; deleteCount: number; insert: readonly string[] };

/** A file is treated as CRLF only when every newline in it is one, so embedded `\r\n` in LF files survive. */
function lineEnding(contents: string): "\r\n" | "\n" {
  const newlines = contents.split("\n").length - 1;
  const crlfs = contents.split("\r\n").length - 1;
  return newlines > 0 && crlfs === newlines ? "\r\n" : "\n";
}

/**
 * Applies an Update File hunk's chunks to a file's text and returns the new text, which always ends
 * with a newline (CRLF files stay CRLF). Throws an ApplyPatchError naming `path` and the anchor or the
 * lines that could not be found.
 *
 * @example
 * updateFileContents("a\nb\n", [{ changeContext: undefined, oldLines: ["b"], newLines: ["B"], isEndOfFile: false }], "f.txt");
 * // → "a\nB\n"
 */
export function updateFileContents(
  original: string,
  chunks: readonly UpdateFileChunk[],
  path: string,
): string {
  const eol = lineEnding(original);
  let lines = original.split(eol);
  if (lines.at(-1) === "") lines.pop(); // the final newline ends the last line; it is not a line of its own
  const replacements = findReplacements(lines, chunks, path);
  // Back to front, so that earlier replacements keep their indices.
  for (const { start, deleteCount, insert } of replacements.reverse()) {
    lines = lines.slice(0, start).concat(insert, lines.slice(start + deleteCount));
  }
  return lines.length === 0 ? "" : `${lines.join(eol)}${eol}`;
}

const SHOWN_LINE_CHARS = 200;

function quoted(line: string): string {
  const shown = line.length > SHOWN_LINE_CHARS ? `${line.slice(0, SHOWN_LINE_CHARS - 1)}…` : line;
  return `\`${shown}\``;
}

/**
 * What a model needs to fix a chunk whose lines were not found: which expected line differs and what
 * the file has there, at the closest match (1-based line numbers); empty when no line matches at all.
 *
 * @example
 * closestMatchNote(["a", "b", "x"], ["a", "b", "c"], 0);
 * // "\nThe closest match starts at line 1: line 3 of the expected lines differs; line 3 of the file is `x`, expected `c`."
 */
function closestMatchNote(lines: readonly string[], expected: readonly string[], start: number): string {
  const closest = closestMatch(lines, expected, start);
  if (!closest) return "";
  const fileIndex = closest.at + closest.firstDifference;
  const found =
    fileIndex < lines.length
      ? `line ${fileIndex + 1} of the file is ${quoted(lines[fileIndex] ?? "")}`
      : `the file ends at line ${lines.length}`;
  const differing = expected.length - closest.matching;
  const count = differing > 1 ? ` (${differing} of the ${expected.length} expected lines differ)` : "";
  return `\nThe closest match starts at line ${closest.at + 1}: line ${closest.firstDifference + 1} of the expected lines differs; ${found}, expected ${quoted(expected[closest.firstDifference] ?? "")}${count}.`;
}

function findReplacements(
  lines: readonly string[],
  chunks: readonly UpdateFileChunk[],
  path: string,
): Replacement[] {
  const replacements: Replacement[] = [];
  let lineIndex = 0;
  for (const chunk of chunks) {
    if (chunk.changeContext !== undefined) {
      const at = seekSequence(lines, [chunk.changeContext], lineIndex, false);
      if (at === undefined) {
        throw new ApplyPatchError(`Failed to find context '${chunk.changeContext}' in ${path}`);
      }
      lineIndex = at + 1;
    }
    if (chunk.oldLines.length === 0) {
      // A pure addition goes at the end of the file (before a final blank line), as in the reference.
      const at = lines.at(-1) === "" ? lines.length - 1 : lines.length;
      replacements.push({ start: at, deleteCount: 0, insert: chunk.newLines });
      continue;
    }
    let pattern = chunk.oldLines;
    let insert = chunk.newLines;
    let at = seekSequence(lines, pattern, lineIndex, chunk.isEndOfFile);
    if (at === undefined && pattern.at(-1) === "") {
      // A trailing empty context line often stands for the file's final newline: retry without it.
      pattern = pattern.slice(0, -1);
      if (insert.at(-1) === "") insert = insert.slice(0, -1);
      at = seekSequence(lines, pattern, lineIndex, chunk.isEndOfFile);
    }
    if (at === undefined) {
      throw new ApplyPatchError(
        `Failed to find expected lines in ${path}:\n${chunk.oldLines.join("\n")}${closestMatchNote(lines, chunk.oldLines, lineIndex)}`,
      );
    }
    replacements.push({ start: at, deleteCount: pattern.length, insert });
    lineIndex = at + pattern.length;
  }
  return replacements.sort((left, right) => left.start - right.start);
}
