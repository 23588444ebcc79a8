import type { ApplyPatchResult } from "./apply.ts";

/**
 * The success report codex's `apply_patch` prints: a header, then one git-style `A`/`M`/`D` line per path.
 *
 * @example
 * formatApplyPatchSummary({ added: ["new.txt"], modified: [], deleted: [] });
 * // → "Success. Updated the following files:\nA new.txt\n"
 */
export function formatApplyPatchSummary(result: ApplyPatchResult): string {
  return `Success. Updated the following files:\n${changeLines(result)}`;
}

/** `A path` / `M path` / `D path` lines, each ending with a newline. */
export function changeLines(result: ApplyPatchResult): string {
  const lines = [
    ...result.added.map((file) => `A ${file}`),
    ...result.modified.map((file) => `M ${file}`),
    ...result.deleted.map((file) => `D ${file}`),
  ];
  return lines.map((line) => `${line}\n`).join("");
}
