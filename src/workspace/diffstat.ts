/** One file's share of a change: lines added and removed (null for a binary file). */
export type FileStat = { path: string; added: number | null; removed: number | null };

/**
 * Parses `git diff --numstat -z` (with or without `-M`): a rename is named by its new path.
 *
 * @example
 * parseNumstat("3\t1\tsrc/a.ts\0-\t-\tlogo.png\0"); // [{ path: "src/a.ts", added: 3, removed: 1 }, { path: "logo.png", added: null, removed: null }]
 */
export function parseNumstat(output: string): FileStat[] {
  const fields = output.split("\0");
  const stats: FileStat[] = [];
  for (let index = 0; index < fields.length; index += 1) {
    const match = /^(\d+|-)\t(\d+|-)\t(.*)$/s.exec(fields[index] ?? "");
    if (!match) continue;
    let file = match[3] ?? "";
    // A rename or copy: an empty path here, then the old and the new path as fields of their own.
    if (file === "") {
      file = fields[index + 2] ?? "";
      index += 2;
    }
    const count = (value: string | undefined) => (value === "-" ? null : Number(value));
    stats.push({ path: file, added: count(match[1]), removed: count(match[2]) });
  }
  return stats;
}

const MAX_BAR = 40;

/**
 * A diffstat as `git diff --stat` prints it: one line per file with its count of changed lines and
 * a bar of `+` and `-` (scaled to fit), then the totals.
 *
 * @example
 * formatDiffstat([{ path: "src/a.ts", added: 3, removed: 1 }]);
 * // [" src/a.ts | 4 +++-", " 1 file changed, 3 insertions(+), 1 deletion(-)"]
 */
export function formatDiffstat(stats: FileStat[]): string[] {
  if (stats.length === 0) return [];
  const width = Math.max(...stats.map((stat) => stat.path.length));
  const changed = (stat: FileStat) => (stat.added ?? 0) + (stat.removed ?? 0);
  const largest = Math.max(...stats.map(changed));
  const countWidth = String(largest).length;
  const scale = largest > MAX_BAR ? MAX_BAR / largest : 1;
  const lines = stats.map((stat) => {
    const name = stat.path.padEnd(width);
    if (stat.added === null) return ` ${name} | ${"Bin".padStart(countWidth)}`;
    // Scaled down, a file with changes still shows at least one mark of each kind it has.
    const bar = (count: number) => (count === 0 ? 0 : Math.max(1, Math.round(count * scale)));
    const plus = bar(stat.added ?? 0);
    const minus = bar(stat.removed ?? 0);
    return ` ${name} | ${String(changed(stat)).padStart(countWidth)} ${"+".repeat(plus)}${"-".repeat(minus)}`.trimEnd();
  });
  const added = stats.reduce((sum, stat) => sum + (stat.added ?? 0), 0);
  const removed = stats.reduce((sum, stat) => sum + (stat.removed ?? 0), 0);
  const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
  const totals = [
    `${plural(stats.length, "file")} changed`,
    ...(added > 0 ? [`${plural(added, "insertion")}(+)`] : []),
    ...(removed > 0 ? [`${plural(removed, "deletion")}(-)`] : []),
  ];
  return [...lines, ` ${totals.join(", ")}`];
}
