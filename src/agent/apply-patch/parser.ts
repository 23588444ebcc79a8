import { ApplyPatchError } from "./error.ts";

/** One `@@` section of an `*** Update File:` hunk. */
export type UpdateFileChunk = {
  /** The `@@ anchor` line (usually a class or function signature) that the old lines follow. */
  changeContext: string | undefined;
  /** Lines to find (context and `-` lines), replaced by `newLines` (context and `+` lines). */
  oldLines: string[];
  newLines: string[];
  /** Set by `*** End of File`: the old lines must be the last lines of the file. */
  isEndOfFile: boolean;
};

/** One file operation of a patch, with its paths exactly as written in the patch. */
export type Hunk =
  | { type: "add"; path: string; contents: string }
  | { type: "delete"; path: string }
  | { type: "update"; path: string; movePath: string | undefined; chunks: UpdateFileChunk[] };

const BEGIN_PATCH = "*** Begin Patch";
const END_PATCH = "*** End Patch";
const ADD_FILE = "*** Add File: ";
const DELETE_FILE = "*** Delete File: ";
const UPDATE_FILE = "*** Update File: ";
const MOVE_TO = "*** Move to: ";
const END_OF_FILE = "*** End of File";
const CONTEXT_MARKER = "@@";
const HEREDOC_OPENERS = new Set(["<<EOF", "<<'EOF'", '<<"EOF"']);

/** The patch lines between the markers, and the 1-based line number (in the given text) of the first. */
type Body = { lines: string[]; firstLineNumber: number };

/**
 * Parses Codex patch text into hunks, as codex-rs/apply-patch's lenient parser does: surrounding
 * whitespace, padded markers and hunk headers, and a `<<'EOF'` … `EOF` heredoc wrapper are accepted.
 * Throws an ApplyPatchError naming the problem and, for a bad hunk, its line number.
 *
 * @example
 * parsePatch("*** Begin Patch\n*** Delete File: old.txt\n*** End Patch\n");
 * // → [{ type: "delete", path: "old.txt" }]
 */
export function parsePatch(text: string): Hunk[] {
  const trimmed = text.trim();
  if (trimmed === "") {
    throw new ApplyPatchError(
      `Invalid patch: the patch is empty; it must start with '${BEGIN_PATCH}' and end with '${END_PATCH}'`,
    );
  }
  const skippedLines = text.slice(0, text.length - text.trimStart().length).split("\n").length - 1;
  const body = patchBody(trimmed.split(/\r?\n/), 1 + skippedLines);
  const hunks: Hunk[] = [];
  let index = 0;
  while (index < body.lines.length) {
    const parsed = parseHunk(body, index);
    hunks.push(parsed.hunk);
    index = parsed.next;
  }
  return hunks;
}

function patchBody(lines: string[], firstLineNumber: number): Body {
  try {
    return strictBody(lines, firstLineNumber);
  } catch (error) {
    // Models sometimes pass the heredoc of `apply_patch <<'EOF'` literally; unwrap it.
    const first = lines[0] ?? "";
    const last = lines.at(-1) ?? "";
    if (lines.length >= 4 && HEREDOC_OPENERS.has(first) && last.endsWith("EOF")) {
      return strictBody(lines.slice(1, -1), firstLineNumber + 1);
    }
    throw error;
  }
}

function strictBody(lines: string[], firstLineNumber: number): Body {
  const first = lines[0]?.trim();
  const last = lines.at(-1)?.trim();
  if (first !== BEGIN_PATCH) {
    throw new ApplyPatchError(`Invalid patch: The first line of the patch must be '${BEGIN_PATCH}'`);
  }
  if (lines.length < 2 || last !== END_PATCH) {
    throw new ApplyPatchError(`Invalid patch: The last line of the patch must be '${END_PATCH}'`);
  }
  return { lines: lines.slice(1, -1), firstLineNumber: firstLineNumber + 1 };
}

function hunkError(body: Body, index: number, message: string): ApplyPatchError {
  return new ApplyPatchError(`Invalid patch hunk on line ${body.firstLineNumber + index}: ${message}`);
}

function parseHunk(body: Body, start: number): { hunk: Hunk; next: number } {
  const { lines } = body;
  const header = (lines[start] ?? "").trim();
  if (header.startsWith(ADD_FILE)) {
    let next = start + 1;
    let contents = "";
    for (let line = lines[next]; line?.startsWith("+"); line = lines[++next]) {
      contents += `${line.slice(1)}\n`;
    }
    return { hunk: { type: "add", path: header.slice(ADD_FILE.length), contents }, next };
  }
  if (header.startsWith(DELETE_FILE)) {
    return { hunk: { type: "delete", path: header.slice(DELETE_FILE.length) }, next: start + 1 };
  }
  if (header.startsWith(UPDATE_FILE)) {
    const path = header.slice(UPDATE_FILE.length);
    let next = start + 1;
    const moveLine = lines[next]?.trim();
    const movePath = moveLine?.startsWith(MOVE_TO) ? moveLine.slice(MOVE_TO.length) : undefined;
    if (movePath !== undefined) next++;
    const chunks: UpdateFileChunk[] = [];
    while (next < lines.length) {
      const line = lines[next] ?? "";
      if (line.trim() === "") {
        next++; // blank lines may separate chunks
        continue;
      }
      if (line.startsWith("*")) break; // the next hunk header (or a stray marker, reported there)
      const parsed = parseChunk(body, next, chunks.length === 0);
      chunks.push(parsed.chunk);
      next = parsed.next;
    }
    if (chunks.length === 0) throw hunkError(body, start, `Update file hunk for path '${path}' is empty`);
    return { hunk: { type: "update", path, movePath, chunks }, next };
  }
  throw hunkError(
    body,
    start,
    `'${header}' is not a valid hunk header. Valid hunk headers: '${ADD_FILE}{path}', '${DELETE_FILE}{path}', '${UPDATE_FILE}{path}'`,
  );
}

function parseChunk(
  body: Body,
  start: number,
  allowMissingContext: boolean,
): { chunk: UpdateFileChunk; next: number } {
  const { lines } = body;
  const first = lines[start] ?? "";
  let changeContext: string | undefined;
  let next = start;
  if (first.trimEnd() === CONTEXT_MARKER) {
    next++;
  } else if (first.startsWith(`${CONTEXT_MARKER} `)) {
    changeContext = first.slice(CONTEXT_MARKER.length + 1);
    next++;
  } else if (!allowMissingContext) {
    throw hunkError(body, start, `Expected update hunk to start with a @@ context marker, got: '${first}'`);
  }
  const chunk: UpdateFileChunk = { changeContext, oldLines: [], newLines: [], isEndOfFile: false };
  const bodyStart = next;
  for (; next < lines.length; next++) {
    const line = lines[next] ?? "";
    if (line.trimEnd() === END_OF_FILE) {
      if (next === bodyStart) break;
      chunk.isEndOfFile = true;
      next++;
      break;
    }
    const marker = line[0];
    const text = line.slice(1);
    if (marker === undefined) {
      // A completely empty line is an empty context line whose leading space was lost.
      chunk.oldLines.push("");
      chunk.newLines.push("");
    } else if (marker === " ") {
      chunk.oldLines.push(text);
      chunk.newLines.push(text);
    } else if (marker === "+") {
      chunk.newLines.push(text);
    } else if (marker === "-") {
      chunk.oldLines.push(text);
    } else {
      if (next === bodyStart) {
        throw hunkError(
          body,
          next,
          `Unexpected line found in update hunk: '${line}'. Every line should start with ' ' (context line), '+' (added line), or '-' (removed line)`,
        );
      }
      break; // the start of the next chunk or hunk
    }
  }
  if (next === bodyStart) throw hunkError(body, next, "Update hunk does not contain any lines");
  return { chunk, next };
}
