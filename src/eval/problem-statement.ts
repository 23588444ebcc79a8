const TRAILER = /^(Signed-off-by|Co-authored-by|Reviewed-by|Acked-by|Tested-by|Reported-by|Change-Id|Cc):/i;
const DIFF_LINE = /^(diff --git |index [0-9a-f]+\.\.|--- (a\/|\/dev\/null)|\+\+\+ (b\/|\/dev\/null)|@@ -\d)/;

/** Drops fenced blocks that hold a diff, and everything from a bare `diff --git` line on. */
function withoutDiffs(lines: string[]): string[] {
  const kept: string[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    if (line.startsWith("diff --git ")) break;
    const fence = /^\s*(```|~~~)/.exec(line)?.[1];
    if (fence) {
      const end = lines.findIndex((candidate, at) => at > index && candidate.trim().startsWith(fence));
      const block = lines.slice(index + 1, end === -1 ? lines.length : end);
      const last = end === -1 ? lines.length - 1 : end;
      if (!block.some((blockLine) => DIFF_LINE.test(blockLine))) kept.push(...lines.slice(index, last + 1));
      index = last;
      continue;
    }
    kept.push(line);
  }
  return kept;
}

/**
 * The problem statement of a mined task: the fix's commit message, which describes the fix without
 * showing it — trailers (`Signed-off-by:`…), cherry-pick notes and any diff in it removed.
 *
 * @example
 * problemStatement("Fix clamp above the maximum\n\nclamp(11, 0, 10) gave 11.\n\nSigned-off-by: Dev <d@x>\n");
 * // "Fix clamp above the maximum\n\nclamp(11, 0, 10) gave 11."
 */
export function problemStatement(message: string): string {
  const lines = withoutDiffs(message.replace(/\r\n/g, "\n").split("\n")).filter(
    (line) => !TRAILER.test(line.trim()) && !line.startsWith("(cherry picked from commit"),
  );
  return lines
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
