import { seekSequence } from "../agent/apply-patch/index.ts";
import type { DiffHunk, FileDiff } from "./unified-diff.ts";

/** A change the Codex patch format cannot say (a binary file, a rename without content). */
export class InexpressibleChangeError extends Error {
  override name = "InexpressibleChangeError";
}

/** A file's lines as apply_patch splits them (CRLF files by CRLF, the final newline not a line). */
function fileLines(text: string): string[] {
  const newlines = text.split("\n").length - 1;
  const crlf = newlines > 0 && text.split("\r\n").length - 1 === newlines;
  const lines = text.split(crlf ? "\r\n" : "\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

const oldSide = (hunk: DiffHunk) => hunk.lines.filter((line) => line[0] !== "+").map((line) => line.slice(1));

/**
 * The `@@` chunks of an update. Where apply_patch — which takes the first match after the previous
 * chunk — would find a chunk's lines earlier than where the diff put them (code repeated in the
 * file), the chunk gets the file's preceding lines as extra context until it lands in its place.
 */
function chunksOf(hunks: readonly DiffHunk[], old: string | undefined): string[] {
  const lines = old === undefined ? undefined : fileLines(old);
  let searchFrom = 0;
  return hunks.flatMap((hunk) => {
    const chunk = ["@@", ...hunk.lines];
    if (lines === undefined) return chunk;
    const expected = oldSide(hunk);
    const target = hunk.oldLines === 0 ? hunk.oldStart : hunk.oldStart - 1;
    const from = searchFrom;
    searchFrom = target + expected.length;
    // A chunk without old lines goes to the end of the file; elsewhere it needs context to say where.
    const fewest = expected.length === 0 && target !== lines.length ? 1 : 0;
    for (let extra = fewest; target - extra >= from; extra++) {
      const before = lines.slice(target - extra, target);
      const pattern = [...before, ...expected];
      if (pattern.length > 0 && seekSequence(lines, pattern, from, false) === target - extra) {
        return ["@@", ...before.map((line) => ` ${line}`), ...hunk.lines];
      }
    }
    return chunk;
  });
}

function fileHunk(file: FileDiff, old: string | undefined): string[] {
  const shown = file.newPath ?? file.oldPath ?? "?";
  if (file.binary) throw new InexpressibleChangeError(`${shown} is a binary change`);
  if (file.oldPath === null && file.newPath !== null) {
    const added = file.hunks.flatMap((hunk) => hunk.lines.filter((line) => line.startsWith("+")));
    return [`*** Add File: ${file.newPath}`, ...added];
  }
  if (file.newPath === null && file.oldPath !== null) return [`*** Delete File: ${file.oldPath}`];
  if (file.oldPath === null) throw new InexpressibleChangeError("a file diff names no path");
  const moved = file.newPath !== file.oldPath;
  if (file.hunks.length === 0) {
    if (moved) {
      throw new InexpressibleChangeError(
        `${file.oldPath} → ${shown} is a rename without content changes (diff it with --no-renames)`,
      );
    }
    return []; // a mode change only: the format has no words for it
  }
  return [
    `*** Update File: ${file.oldPath}`,
    ...(moved ? [`*** Move to: ${file.newPath}`] : []),
    ...chunksOf(file.hunks, old),
  ];
}

/**
 * Turns a parsed git diff into the Codex patch the `apply_patch` tool takes, hunk for hunk: each
 * unified hunk becomes one `@@` chunk with the same context, added files become `*** Add File`,
 * deleted ones `*** Delete File`, renames `*** Move to`; mode-only changes are dropped. Given the
 * old files' text (`oldText`), a chunk whose lines also occur earlier in its file gets the file's
 * preceding lines as extra context until apply_patch finds it where the diff put it.
 *
 * @example
 * toCodexPatch(parseUnifiedDiff(task.patch));
 * // "*** Begin Patch\n*** Update File: sum.js\n@@\n function sum(a, b) {\n-  return a - b;\n+  return a + b;\n }\n*** End Patch\n"
 * @throws InexpressibleChangeError for a binary change or a rename without content changes
 */
export function toCodexPatch(
  files: readonly FileDiff[],
  oldText: ReadonlyMap<string, string> = new Map(),
): string {
  const body = files.flatMap((file) =>
    fileHunk(file, file.oldPath === null ? undefined : oldText.get(file.oldPath)),
  );
  return ["*** Begin Patch", ...body, "*** End Patch", ""].join("\n");
}
