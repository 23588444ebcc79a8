import parseDiff from "parse-diff";

/** Which version a line number counts in: the pull request's (RIGHT) or the base's (LEFT). */
export type DiffSide = "RIGHT" | "LEFT";

/** One `@@ -a,b +c,d @@` hunk: the line ranges it covers on each side. */
export type Hunk = { oldStart: number; oldLines: number; newStart: number; newLines: number };

/** One file of a pull request's diff, as review comments can be anchored on it. */
export type DiffFile = {
  /** The path in the pull request's version (the old path for a deleted file). */
  path: string;
  /** The path before a rename. */
  previousPath?: string;
  status: "added" | "deleted" | "modified" | "renamed";
  binary: boolean;
  hunks: Hunk[];
  /** The text of each line inside a hunk, by side and line number. */
  lines: Record<DiffSide, Map<number, string>>;
  additions: number;
  deletions: number;
  /** This file's part of the unified diff, verbatim. */
  text: string;
};

const stripPrefix = (name: string | undefined): string | undefined =>
  name === undefined || name === "/dev/null" ? undefined : name.replace(/^[ab]\//, "");

/** The `diff --git a/x b/y` header's paths, for files whose diff has no `---`/`+++` lines (binary, mode only). */
function headerPaths(section: string): { from?: string; to?: string } {
  const header = /^diff --git a\/(.+?) b\/(.+)$/m.exec(section);
  const renameFrom = /^rename from (.+)$/m.exec(section)?.[1];
  const renameTo = /^rename to (.+)$/m.exec(section)?.[1];
  return { from: renameFrom ?? header?.[1], to: renameTo ?? header?.[2] };
}

function parseSection(section: string): DiffFile | undefined {
  const [parsed] = parseDiff(section);
  if (!parsed) return undefined;
  const header = headerPaths(section);
  const from = stripPrefix(parsed.from) ?? (parsed.new ? undefined : header.from);
  const to = stripPrefix(parsed.to) ?? (parsed.deleted ? undefined : header.to);
  const path = to ?? from;
  if (path === undefined) return undefined;
  const lines: DiffFile["lines"] = { RIGHT: new Map(), LEFT: new Map() };
  for (const chunk of parsed.chunks) {
    for (const change of chunk.changes) {
      const text = change.content.slice(1);
      if (change.type === "add") lines.RIGHT.set(change.ln, text);
      else if (change.type === "del") lines.LEFT.set(change.ln, text);
      else {
        lines.LEFT.set(change.ln1, text);
        lines.RIGHT.set(change.ln2, text);
      }
    }
  }
  const status = parsed.new
    ? "added"
    : parsed.deleted
      ? "deleted"
      : from !== undefined && to !== undefined && from !== to
        ? "renamed"
        : "modified";
  return {
    path,
    ...(status === "renamed" && from !== undefined && { previousPath: from }),
    status,
    binary: /^Binary files .* differ$/m.test(section) || /^GIT binary patch$/m.test(section),
    hunks: parsed.chunks.map(({ oldStart, oldLines, newStart, newLines }) => ({
      oldStart,
      oldLines,
      newStart,
      newLines,
    })),
    lines,
    additions: parsed.additions,
    deletions: parsed.deletions,
    text: section,
  };
}

/**
 * Parses `git diff` output (merge-base..head of a pull request) into files with their hunks and the
 * text of every line a review comment may be anchored on. Binary files, renames and mode-only
 * changes are kept (with no hunks), so every changed file can be listed.
 *
 * @example
 * const [file] = parsePullDiff("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n");
 * file.lines.RIGHT.get(1); // "b"
 */
export function parsePullDiff(raw: string): DiffFile[] {
  const normalized = raw.replace(/\r\n/g, "\n");
  const starts = [...normalized.matchAll(/^diff --git /gm)].map((match) => match.index);
  return starts.flatMap((start, index) => {
    const section = normalized.slice(start, starts[index + 1] ?? normalized.length);
    const file = parseSection(section);
    return file ? [file] : [];
  });
}

/**
 * The hunk whose range on `side` contains `line`, or undefined when the line is outside the diff.
 *
 * @example
 * hunkAt(file, "RIGHT", 12); // { oldStart: 10, oldLines: 5, newStart: 10, newLines: 7 }
 */
export function hunkAt(file: DiffFile, side: DiffSide, line: number): Hunk | undefined {
  return file.hunks.find((hunk) => {
    const [start, count] = side === "RIGHT" ? [hunk.newStart, hunk.newLines] : [hunk.oldStart, hunk.oldLines];
    return line >= start && line < start + count;
  });
}

/** The first and last line a hunk covers on a side (empty when it covers none there). */
export function hunkRange(hunk: Hunk, side: DiffSide): { first: number; last: number } | undefined {
  const [start, count] = side === "RIGHT" ? [hunk.newStart, hunk.newLines] : [hunk.oldStart, hunk.oldLines];
  return count > 0 ? { first: start, last: start + count - 1 } : undefined;
}
