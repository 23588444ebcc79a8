/** One `@@ -a,b +c,d @@` hunk of a file's diff. */
export type DiffHunk = {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Body lines with their marker: ` ` context, `-` removed, `+` added. */
  lines: string[];
  /** Set when the old side's last line has no final newline (`\ No newline at end of file`). */
  oldNoNewline: boolean;
  newNoNewline: boolean;
};

/** One file of a git diff. `oldPath` is null for an added file, `newPath` null for a deleted one. */
export type FileDiff = {
  oldPath: string | null;
  newPath: string | null;
  binary: boolean;
  hunks: DiffHunk[];
};

/** A diff that cannot be read, naming the line. */
export class DiffError extends Error {
  override name = "DiffError";
}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

const ESCAPES: Record<string, string> = {
  n: "\n",
  t: "\t",
  '"': '"',
  "\\": "\\",
  a: "\x07",
  b: "\b",
  f: "\f",
  r: "\r",
  v: "\v",
};

/**
 * A path as git prints it in diffs and `--numstat`: C-quoted with octal escapes when it holds special
 * bytes, else as it is.
 *
 * @example
 * unquotePath('"caf\\303\\251.txt"'); // "café.txt"
 */
export function unquotePath(text: string): string {
  if (!text.startsWith('"')) return text;
  const bytes: number[] = [];
  for (let index = 1; index < text.length - 1; index++) {
    const char = text[index] as string;
    if (char !== "\\") {
      bytes.push(...Buffer.from(char));
      continue;
    }
    const next = text[++index] as string;
    if (/[0-7]/.test(next)) {
      bytes.push(Number.parseInt(text.slice(index, index + 3), 8));
      index += 2;
    } else {
      bytes.push(...Buffer.from(ESCAPES[next] ?? next));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** `a/src/x.js` → `src/x.js`; `/dev/null` → null. */
function sidePath(text: string): string | null {
  const path = unquotePath(text.replace(/\t.*$/, "").trim());
  if (path === "/dev/null") return null;
  return path.replace(/^[ab]\//, "");
}

/** The two paths of a `diff --git a/X b/Y` line, used when no ---/+++ lines follow (binary, empty). */
function gitHeaderPaths(line: string): { oldPath: string; newPath: string } | undefined {
  const rest = line.slice("diff --git ".length);
  const quoted = /^("(?:[^"\\]|\\.)*"|\S+) ("(?:[^"\\]|\\.)*"|\S+)$/.exec(rest);
  if (quoted?.[1] && quoted[2]) {
    return { oldPath: sidePath(quoted[1]) ?? "", newPath: sidePath(quoted[2]) ?? "" };
  }
  // Unquoted paths with spaces: a/X b/X where both halves are the same path.
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest.slice(2, half) === rest.slice(half + 3)) {
    const path = rest.slice(2, half);
    return { oldPath: path, newPath: path };
  }
  return undefined;
}

/**
 * Parses a git unified diff (`git diff`, a SWE-bench `patch`) into files and hunks: added, deleted and
 * renamed files, binary markers, `\ No newline at end of file`, and C-quoted paths.
 *
 * @example
 * parseUnifiedDiff("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")[0]?.hunks[0]?.lines; // ["-a", "+b"]
 * @throws DiffError naming the line when a hunk is cut short or a header is malformed
 */
export function parseUnifiedDiff(text: string): FileDiff[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const files: FileDiff[] = [];
  let file: FileDiff | undefined;
  let index = 0;
  const fail = (message: string) => new DiffError(`diff line ${index + 1}: ${message}`);
  while (index < lines.length) {
    const line = (lines[index] as string).replace(/\r$/, "");
    if (line.startsWith("diff --git ")) {
      const paths = gitHeaderPaths(line);
      file = { oldPath: paths?.oldPath ?? null, newPath: paths?.newPath ?? null, binary: false, hunks: [] };
      files.push(file);
      index++;
      continue;
    }
    if (line.startsWith("--- ") && lines[index + 1]?.startsWith("+++ ")) {
      if (!file || file.hunks.length > 0) {
        file = { oldPath: null, newPath: null, binary: false, hunks: [] };
        files.push(file);
      }
      file.oldPath = sidePath(line.slice(4));
      file.newPath = sidePath((lines[index + 1] as string).slice(4));
      index += 2;
      continue;
    }
    if (!file) {
      index++; // text before the first file (a commit message, a mail header)
      continue;
    }
    if (line.startsWith("new file mode")) file.oldPath = null;
    else if (line.startsWith("deleted file mode")) file.newPath = null;
    else if (line.startsWith("rename from ")) file.oldPath = unquotePath(line.slice("rename from ".length));
    else if (line.startsWith("rename to ")) file.newPath = unquotePath(line.slice("rename to ".length));
    else if (line.startsWith("Binary files ") || line === "GIT binary patch") file.binary = true;
    else if (line.startsWith("@@")) {
      const header = HUNK_HEADER.exec(line);
      if (!header) throw fail(`malformed hunk header ${JSON.stringify(line)}`);
      const hunk: DiffHunk = {
        oldStart: Number(header[1]),
        oldLines: header[2] === undefined ? 1 : Number(header[2]),
        newStart: Number(header[3]),
        newLines: header[4] === undefined ? 1 : Number(header[4]),
        lines: [],
        oldNoNewline: false,
        newNoNewline: false,
      };
      index = readHunkBody(lines, index + 1, hunk, fail);
      file.hunks.push(hunk);
      continue;
    }
    index++;
  }
  return files;
}

function readHunkBody(
  lines: string[],
  start: number,
  hunk: DiffHunk,
  fail: (message: string) => DiffError,
): number {
  let oldLeft = hunk.oldLines;
  let newLeft = hunk.newLines;
  let index = start;
  let last: string | undefined;
  while (oldLeft > 0 || newLeft > 0 || lines[index]?.startsWith("\\")) {
    const line = lines[index];
    if (line === undefined)
      throw fail(`the hunk ends early: ${oldLeft} old and ${newLeft} new lines missing`);
    if (line.startsWith("\\")) {
      if (last !== "+") hunk.oldNoNewline = true;
      if (last !== "-") hunk.newNoNewline = true;
      index++;
      continue;
    }
    // An empty line is a context line whose leading space was stripped (e-mail, editors).
    const marker = line === "" ? " " : (line[0] as string);
    const body = line === "" ? " " : line;
    if (marker === " ") {
      oldLeft--;
      newLeft--;
    } else if (marker === "-") oldLeft--;
    else if (marker === "+") newLeft--;
    else throw fail(`expected a line starting with space, - or + inside a hunk, got ${JSON.stringify(line)}`);
    if (oldLeft < 0 || newLeft < 0) throw fail("the hunk has more lines than its header says");
    hunk.lines.push(body);
    last = marker;
    index++;
  }
  return index;
}

/**
 * Lines added plus lines removed: the size of a change, as the report groups tasks by it.
 *
 * @example
 * changedLineCount(parseUnifiedDiff(patch)); // 7
 */
export function changedLineCount(files: readonly FileDiff[]): number {
  let count = 0;
  for (const file of files) {
    for (const hunk of file.hunks) count += hunk.lines.filter((line) => line[0] !== " ").length;
  }
  return count;
}
