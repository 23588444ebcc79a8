import { createHash } from "node:crypto";

/** Lines of code as compared across pushes: whitespace runs collapsed, blank lines dropped. */
export function normalizeCode(lines: readonly string[]): string[] {
  return lines.map((line) => line.trim().replace(/\s+/g, " ")).filter((line) => line !== "");
}

const normalizeTitle = (title: string): string =>
  title
    .toLowerCase()
    .replace(/[`'"*_]/g, "")
    .replace(/\s+/g, " ")
    .replace(/[.!:;,\s]+$/, "")
    .trim();

/**
 * A finding's identity across pushes: its file, the code of the lines it is anchored on (normalized,
 * so re-indenting or moving the lines elsewhere in the file keeps it) and its title (case and
 * punctuation ignored). Line numbers are deliberately not part of it.
 *
 * @example
 * fingerprintOf({ path: "sum.js", code: ["  return a - b;"], title: "Subtracts instead of adding" });
 * // "3f0c…" (24 hex characters)
 */
export function fingerprintOf(finding: { path: string; code: readonly string[]; title: string }): string {
  const hash = createHash("sha256");
  hash.update(finding.path);
  hash.update("\0");
  hash.update(normalizeCode(finding.code).join("\n"));
  hash.update("\0");
  hash.update(normalizeTitle(finding.title));
  return hash.digest("hex").slice(0, 24);
}

/**
 * Whether the normalized `code` still appears, as consecutive non-blank lines, in a file's lines: how
 * a later push shows that a finding's code is gone (fixed) or still there.
 *
 * @example
 * codeStillPresent(["function f() {", "  return a - b;", "}"], ["return a - b;"]); // true
 */
export function codeStillPresent(fileLines: readonly string[], code: readonly string[]): boolean {
  const wanted = normalizeCode(code);
  if (wanted.length === 0) return true;
  const haystack = normalizeCode(fileLines);
  for (let start = 0; start + wanted.length <= haystack.length; start++) {
    if (wanted.every((line, offset) => haystack[start + offset] === line)) return true;
  }
  return false;
}
