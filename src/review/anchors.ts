import { type DiffFile, type DiffSide, type Hunk, hunkAt, hunkRange } from "./pull-diff.ts";

/** Where a finding's comment can go, as GitHub accepts review comments. */
export type Anchor =
  /** Lines of one hunk on one side (`startLine === line` for a single line). */
  | { kind: "lines"; path: string; side: DiffSide; startLine: number; line: number; narrowed: boolean }
  /** The file is in the diff but the lines are not: a file-level comment (`subject_type: file`). */
  | { kind: "file"; path: string; reason: string }
  /** Nowhere on the diff: the finding goes to the summary comment only. */
  | { kind: "summary"; reason: string };

/** A finding's claimed place: path, line range and side, as the model gave it. */
export type Place = { path: string; start_line: number; end_line: number; side: DiffSide };

/** The file of the diff a path names: its path in the pull request, or its path before a rename. */
export function findDiffFile(files: readonly DiffFile[], path: string): DiffFile | undefined {
  const wanted = path.replace(/^\.?\//, "");
  return files.find((file) => file.path === wanted) ?? files.find((file) => file.previousPath === wanted);
}

function linesIn(hunk: Hunk, side: DiffSide, first: number, last: number) {
  const range = hunkRange(hunk, side);
  if (!range || last < range.first || first > range.last) return undefined;
  return { first: Math.max(first, range.first), last: Math.min(last, range.last) };
}

/**
 * Validates a finding's place against the parsed diff before anything is posted (GitHub answers 422
 * to a comment on a line outside the diff): a range inside one hunk is kept; a range across hunks is
 * narrowed to the hunk holding its last line (else its first, else the first hunk it overlaps); a
 * range touching no hunk becomes a file-level comment; a file outside the diff goes to the summary.
 * Binary files and a side the file does not have (RIGHT of a deleted file, LEFT of an added one)
 * take a file-level comment.
 *
 * @example
 * anchorFinding({ path: "a.ts", start_line: 3, end_line: 9, side: "RIGHT" }, files);
 * // { kind: "lines", path: "a.ts", side: "RIGHT", startLine: 5, line: 9, narrowed: true }
 */
export function anchorFinding(place: Place, files: readonly DiffFile[]): Anchor {
  const file = findDiffFile(files, place.path);
  if (!file) return { kind: "summary", reason: `${place.path} is not changed by this pull request` };
  const where = `${file.path}:${place.start_line}${place.end_line > place.start_line ? `-${place.end_line}` : ""}`;
  if (file.binary) return { kind: "file", path: file.path, reason: `${file.path} is a binary file` };
  if (
    (place.side === "RIGHT" && file.status === "deleted") ||
    (place.side === "LEFT" && file.status === "added")
  ) {
    return {
      kind: "file",
      path: file.path,
      reason: `${where} names the ${place.side === "RIGHT" ? "new" : "old"} side of a file that has none`,
    };
  }
  const { side } = place;
  const first = Math.min(place.start_line, place.end_line);
  const last = Math.max(place.start_line, place.end_line);
  const chosen =
    hunkAt(file, side, last) ??
    hunkAt(file, side, first) ??
    file.hunks.find((hunk) => linesIn(hunk, side, first, last) !== undefined);
  const lines = chosen && linesIn(chosen, side, first, last);
  if (!lines) {
    return {
      kind: "file",
      path: file.path,
      reason: `${where} is outside the lines this pull request changes`,
    };
  }
  return {
    kind: "lines",
    path: file.path,
    side,
    startLine: lines.first,
    line: lines.last,
    narrowed: lines.first !== first || lines.last !== last,
  };
}

/**
 * Whether a finding's replacement text may be posted as a ```suggestion block: only on the
 * pull request's side (RIGHT) and only when the anchor covers exactly the lines the model replaced.
 *
 * @example
 * suggestionFits(anchor, { suggestion: "return a + b;" }); // true for an un-narrowed RIGHT anchor
 */
export function suggestionFits(anchor: Anchor, finding: { suggestion?: string | undefined }): boolean {
  return (
    finding.suggestion !== undefined && anchor.kind === "lines" && anchor.side === "RIGHT" && !anchor.narrowed
  );
}
