import { describe, expect, it } from "vitest";
import { formatDiffstat, parseNumstat } from "../../src/workspace/diffstat.ts";

describe("diffstat", () => {
  it("parses numstat output with renames and binary files", () => {
    expect(parseNumstat("3\t1\tsrc/a.ts\0-\t-\tlogo.png\x000\t0\t\0old name.ts\0new name.ts\0")).toEqual([
      { path: "src/a.ts", added: 3, removed: 1 },
      { path: "logo.png", added: null, removed: null },
      { path: "new name.ts", added: 0, removed: 0 },
    ]);
    expect(parseNumstat("")).toEqual([]);
  });

  it("prints a bar per file scaled to fit, then the totals, as git does", () => {
    expect(
      formatDiffstat([
        { path: "src/a.ts", added: 3, removed: 1 },
        { path: "logo.png", added: null, removed: null },
        { path: "big.txt", added: 400, removed: 0 },
      ]),
    ).toEqual([
      " src/a.ts |   4 +-",
      " logo.png | Bin",
      ` big.txt  | 400 ${"+".repeat(40)}`,
      " 3 files changed, 403 insertions(+), 1 deletion(-)",
    ]);
    expect(formatDiffstat([{ path: "x", added: 1, removed: 0 }])).toEqual([
      " x | 1 +",
      " 1 file changed, 1 insertion(+)",
    ]);
    expect(formatDiffstat([])).toEqual([]);
  });
});
