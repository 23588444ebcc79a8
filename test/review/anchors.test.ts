import { describe, expect, it } from "vitest";
import { anchorFinding, suggestionFits } from "../../src/review/anchors.ts";
import { parsePullDiff } from "../../src/review/pull-diff.ts";

/** Two hunks in a.ts (new lines 1-4 and 20-23), an added, a deleted, a renamed and a binary file. */
const DIFF = [
  "diff --git a/a.ts b/a.ts",
  "index 1..2 100644",
  "--- a/a.ts",
  "+++ b/a.ts",
  "@@ -1,3 +1,4 @@",
  " one",
  "-two",
  "+TWO",
  "+two and a half",
  " three",
  "@@ -19,3 +20,4 @@",
  " nineteen",
  "+inserted",
  " twenty",
  " twenty-one",
  "diff --git a/new.ts b/new.ts",
  "new file mode 100644",
  "index 0000000..3",
  "--- /dev/null",
  "+++ b/new.ts",
  "@@ -0,0 +1,2 @@",
  "+first",
  "+second",
  "diff --git a/gone.ts b/gone.ts",
  "deleted file mode 100644",
  "index 4..0000000",
  "--- a/gone.ts",
  "+++ /dev/null",
  "@@ -1,2 +0,0 @@",
  "-old one",
  "-old two",
  "diff --git a/old/name.ts b/new/name.ts",
  "similarity index 90%",
  "rename from old/name.ts",
  "rename to new/name.ts",
  "index 5..6 100644",
  "--- a/old/name.ts",
  "+++ b/new/name.ts",
  "@@ -5,2 +5,2 @@",
  " keep",
  "-before",
  "+after",
  "diff --git a/logo.png b/logo.png",
  "index 7..8 100644",
  "Binary files a/logo.png and b/logo.png differ",
  "",
].join("\n");

const files = parsePullDiff(DIFF);
const place = (path: string, start: number, end = start, side: "RIGHT" | "LEFT" = "RIGHT") => ({
  path,
  start_line: start,
  end_line: end,
  side,
});

describe("parsePullDiff", () => {
  it("reads every file with its status, hunks and line texts", () => {
    expect(files.map((file) => [file.path, file.status, file.binary])).toEqual([
      ["a.ts", "modified", false],
      ["new.ts", "added", false],
      ["gone.ts", "deleted", false],
      ["new/name.ts", "renamed", false],
      ["logo.png", "modified", true],
    ]);
    const [a] = files;
    expect(a?.lines.RIGHT.get(2)).toBe("TWO");
    expect(a?.lines.LEFT.get(2)).toBe("two");
    expect(a?.lines.RIGHT.get(21)).toBe("inserted");
    expect(files[3]?.previousPath).toBe("old/name.ts");
  });
});

describe("anchorFinding", () => {
  it("keeps a range inside one hunk", () => {
    expect(anchorFinding(place("a.ts", 2, 3), files)).toEqual({
      kind: "lines",
      path: "a.ts",
      side: "RIGHT",
      startLine: 2,
      line: 3,
      narrowed: false,
    });
  });

  it("accepts the first and last line of a hunk and refuses the line after it", () => {
    expect(anchorFinding(place("a.ts", 1), files)).toMatchObject({ kind: "lines", line: 1 });
    expect(anchorFinding(place("a.ts", 4), files)).toMatchObject({ kind: "lines", line: 4 });
    expect(anchorFinding(place("a.ts", 5), files)).toMatchObject({ kind: "file", path: "a.ts" });
    expect(anchorFinding(place("a.ts", 23), files)).toMatchObject({ kind: "lines", line: 23 });
    expect(anchorFinding(place("a.ts", 24), files).kind).toBe("file");
  });

  it("narrows a range across hunks to the hunk of its last line", () => {
    expect(anchorFinding(place("a.ts", 3, 21), files)).toMatchObject({
      kind: "lines",
      startLine: 20,
      line: 21,
      narrowed: true,
    });
  });

  it("narrows to the hunk of the first line when the last is outside the diff", () => {
    expect(anchorFinding(place("a.ts", 3, 10), files)).toMatchObject({
      startLine: 3,
      line: 4,
      narrowed: true,
    });
  });

  it("narrows to a hunk inside a range whose ends are both outside the diff", () => {
    expect(anchorFinding(place("a.ts", 15, 30), files)).toMatchObject({
      startLine: 20,
      line: 23,
      narrowed: true,
    });
  });

  it("anchors deleted lines on the LEFT side with the old line numbers", () => {
    expect(anchorFinding(place("a.ts", 2, 2, "LEFT"), files)).toMatchObject({
      kind: "lines",
      side: "LEFT",
      line: 2,
    });
    expect(anchorFinding(place("gone.ts", 1, 2, "LEFT"), files)).toMatchObject({
      kind: "lines",
      startLine: 1,
      line: 2,
    });
  });

  it("moves a side the file does not have to a file-level comment", () => {
    expect(anchorFinding(place("gone.ts", 1), files)).toMatchObject({ kind: "file", path: "gone.ts" });
    expect(anchorFinding(place("new.ts", 1, 1, "LEFT"), files)).toMatchObject({
      kind: "file",
      path: "new.ts",
    });
  });

  it("anchors a new file's lines and a renamed file under its old or new path", () => {
    expect(anchorFinding(place("new.ts", 1, 2), files)).toMatchObject({
      kind: "lines",
      startLine: 1,
      line: 2,
    });
    expect(anchorFinding(place("old/name.ts", 6), files)).toMatchObject({
      kind: "lines",
      path: "new/name.ts",
    });
    expect(anchorFinding(place("./new/name.ts", 6), files)).toMatchObject({
      kind: "lines",
      path: "new/name.ts",
    });
  });

  it("gives a binary file a file-level comment and a file outside the diff the summary", () => {
    expect(anchorFinding(place("logo.png", 1), files)).toMatchObject({ kind: "file", path: "logo.png" });
    expect(anchorFinding(place("untouched.ts", 1), files)).toEqual({
      kind: "summary",
      reason: "untouched.ts is not changed by this pull request",
    });
  });
});

describe("suggestionFits", () => {
  it("allows a suggestion only on an exact RIGHT anchor", () => {
    const exact = anchorFinding(place("a.ts", 2, 3), files);
    expect(suggestionFits(exact, { suggestion: "x" })).toBe(true);
    expect(suggestionFits(exact, {})).toBe(false);
    expect(suggestionFits(anchorFinding(place("a.ts", 3, 21), files), { suggestion: "x" })).toBe(false);
    expect(suggestionFits(anchorFinding(place("a.ts", 2, 2, "LEFT"), files), { suggestion: "x" })).toBe(
      false,
    );
    expect(suggestionFits(anchorFinding(place("logo.png", 1), files), { suggestion: "x" })).toBe(false);
  });
});
