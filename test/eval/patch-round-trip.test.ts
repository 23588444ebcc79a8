import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyPatch } from "../../src/agent/apply-patch/index.ts";
import { applyFileDiff } from "../../src/eval/apply-diff.ts";
import { toCodexPatch } from "../../src/eval/codex-patch.ts";
import { parseUnifiedDiff } from "../../src/eval/unified-diff.ts";
import { git, removeDir, tempDir } from "../workspace/helpers/git-repos.ts";

const lines = (count: number, prefix = "line") =>
  Array.from({ length: count }, (_, index) => `${prefix} ${index + 1}\n`).join("");
const BLOCK = "function helper() {\n  const a = 1;\n  const b = 2;\n  return a + b;\n}\n";

/** Old and new contents of one file: every way a real fix changes a text file. */
const CASES: [string, string, string][] = [
  ["a change in the middle", lines(20), lines(20).replace("line 10\n", "line ten\n")],
  ["lines added at the start and removed at the end", lines(12), `first\n${lines(11)}`],
  ["two distant hunks", lines(40), lines(40).replace("line 3\n", "three\n").replace("line 37\n", "")],
  ["a file that gains its final newline", "a\nb\nc", "a\nb\nc\n"],
  ["a file that loses its final newline", "a\nb\nc\n", "a\nb\nC"],
  ["a change next to a missing final newline", "a\nb\nc", "a\nB\nc"],
  ["a file emptied", "a\nb\n", ""],
  ["an empty file filled", "", "a\nb\n"],
  ["blank lines and indentation", "if (x) {\n\n    y();\n\n}\n", "if (x) {\n\n    y(1);\n\n}\n"],
  [
    "the second of two identical blocks",
    `${BLOCK}\n${BLOCK}`,
    `${BLOCK}\n${BLOCK.replace("b = 2", "b = 3")}`,
  ],
  [
    "the third of three identical blocks",
    `${BLOCK}\n${BLOCK}\n${BLOCK}`,
    `${BLOCK}\n${BLOCK}\n${BLOCK.replace("b = 2", "b = 3")}`,
  ],
];

describe("a git diff read back, applied exactly, and as a Codex patch through apply_patch", () => {
  let root: string;
  beforeAll(() => {
    root = tempDir("eval-diff");
  });
  afterAll(() => removeDir(root));

  /** `git diff` of one file from `before` to `after`, in a fresh repository. */
  function gitDiff(name: string, before: string, after: string): string {
    const repo = path.join(root, name.replace(/\W+/g, "-"));
    mkdirSync(repo);
    git(repo, "init", "--quiet");
    writeFileSync(path.join(repo, "f.js"), before);
    git(repo, "add", "-A");
    git(repo, "commit", "--quiet", "-m", "before");
    writeFileSync(path.join(repo, "f.js"), after);
    return `${git(repo, "diff", "--no-renames")}\n`;
  }

  it.each(CASES)("%s", async (name, before, after) => {
    const diff = parseUnifiedDiff(gitDiff(name, before, after));
    expect(diff).toHaveLength(1);
    const [file] = diff;
    if (!file) throw new Error("no file");
    expect(applyFileDiff(before, file)).toBe(after);

    // apply_patch always ends a file it writes with a newline: the one difference it may make.
    const work = path.join(root, `${name.replace(/\W+/g, "-")}-codex`);
    mkdirSync(work);
    writeFileSync(path.join(work, "f.js"), before);
    await applyPatch(toCodexPatch(diff, new Map([["f.js", before]])), { cwd: work });
    const expected = after === "" || after.endsWith("\n") ? after : `${after}\n`;
    expect(readFileSync(path.join(work, "f.js"), "utf8")).toBe(expected);
  });

  it("needs the old text to place a chunk whose lines occur earlier in the file", async () => {
    const before = `${BLOCK}\n${BLOCK}\n${BLOCK}`;
    const after = `${BLOCK}\n${BLOCK}\n${BLOCK.replace("b = 2", "b = 3")}`;
    const diff = parseUnifiedDiff(gitDiff("anchoring", before, after));
    const work = path.join(root, "anchoring-codex");
    mkdirSync(work);
    writeFileSync(path.join(work, "f.js"), before);
    // The diff's own three lines of context also match the second block: apply_patch takes the first.
    await applyPatch(toCodexPatch(diff), { cwd: work });
    expect(readFileSync(path.join(work, "f.js"), "utf8")).toBe(
      `${BLOCK}\n${BLOCK.replace("b = 2", "b = 3")}\n${BLOCK}`,
    );
    // With the old text the chunk takes enough of the file's preceding lines to land on the third.
    writeFileSync(path.join(work, "f.js"), before);
    await applyPatch(toCodexPatch(diff, new Map([["f.js", before]])), { cwd: work });
    expect(readFileSync(path.join(work, "f.js"), "utf8")).toBe(after);
  });

  it("turns added, deleted and renamed files into Add, Delete and Move hunks", async () => {
    const repo = path.join(root, "files");
    mkdirSync(path.join(repo, "lib"), { recursive: true });
    git(repo, "init", "--quiet");
    writeFileSync(path.join(repo, "lib/old.js"), lines(6));
    writeFileSync(path.join(repo, "gone.js"), "bye\n");
    git(repo, "add", "-A");
    git(repo, "commit", "--quiet", "-m", "before");
    git(repo, "mv", "lib/old.js", "lib/new.js");
    writeFileSync(path.join(repo, "lib/new.js"), lines(6).replace("line 2\n", "line two\n"));
    writeFileSync(path.join(repo, "added.js"), "hello\n");
    rmSync(path.join(repo, "gone.js"));
    git(repo, "add", "-A");
    const renamed = parseUnifiedDiff(`${git(repo, "diff", "--cached", "-M")}\n`);
    expect(renamed.map((file) => [file.oldPath, file.newPath])).toEqual([
      [null, "added.js"],
      ["gone.js", null],
      ["lib/old.js", "lib/new.js"],
    ]);
    const patch = toCodexPatch(renamed);
    expect(patch).toContain("*** Add File: added.js\n+hello\n");
    expect(patch).toContain("*** Delete File: gone.js\n");
    expect(patch).toContain("*** Update File: lib/old.js\n*** Move to: lib/new.js\n@@\n");

    const work = path.join(root, "files-codex");
    mkdirSync(path.join(work, "lib"), { recursive: true });
    writeFileSync(path.join(work, "lib/old.js"), lines(6));
    writeFileSync(path.join(work, "gone.js"), "bye\n");
    await applyPatch(patch, { cwd: work });
    expect(readFileSync(path.join(work, "lib/new.js"), "utf8")).toBe(
      lines(6).replace("line 2\n", "line two\n"),
    );
    expect(readFileSync(path.join(work, "added.js"), "utf8")).toBe("hello\n");
  });
});

describe("parseUnifiedDiff", () => {
  it("reads quoted paths, binary markers and text before the first file", () => {
    const text = [
      "From 1234 Mon Sep 17 00:00:00 2001",
      "Subject: a mail",
      "",
      'diff --git "a/caf\\303\\251.txt" "b/caf\\303\\251.txt"',
      "index 1..2 100644",
      '--- "a/caf\\303\\251.txt"',
      '+++ "b/caf\\303\\251.txt"',
      "@@ -1 +1 @@",
      "-a",
      "+b",
      "diff --git a/logo.png b/logo.png",
      "index 1..2 100644",
      "Binary files a/logo.png and b/logo.png differ",
      "",
    ].join("\n");
    const files = parseUnifiedDiff(text);
    expect(files.map((file) => [file.oldPath, file.newPath, file.binary])).toEqual([
      ["café.txt", "café.txt", false],
      ["logo.png", "logo.png", true],
    ]);
    expect(() => toCodexPatch(files)).toThrow("logo.png is a binary change");
  });

  it("names the line of a hunk cut short or a malformed header", () => {
    expect(() => parseUnifiedDiff("--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n")).toThrow(
      "diff line 3: the hunk ends early: 1 old and 2 new lines missing",
    );
    expect(() => parseUnifiedDiff("--- a/x\n+++ b/x\n@@ nonsense @@\n")).toThrow(
      'diff line 3: malformed hunk header "@@ nonsense @@"',
    );
  });
});
