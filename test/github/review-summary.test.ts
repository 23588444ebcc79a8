import { describe, expect, it } from "vitest";
import {
  renderFindingComment,
  renderReviewSummary,
  type SummaryEntry,
} from "../../src/github/review-summary.ts";

const entry = (
  ordinal: number,
  status: SummaryEntry["status"],
  extra: Partial<SummaryEntry> = {},
): SummaryEntry => ({
  ordinal,
  title: `Finding ${ordinal} | @ann`,
  body: "Breaks on empty input. cc @bob </details>",
  priority: "P1",
  confidence: 0.8,
  path: "src/a.ts",
  startLine: 3,
  endLine: 5,
  status,
  inline: true,
  reproduced: null,
  ...extra,
});

describe("renderReviewSummary", () => {
  const view = {
    number: 12,
    taskId: 40,
    headSha: "b".repeat(40),
    mergeBase: "a".repeat(40),
    since: undefined,
    summary: "Adds a parser.",
    skipped: [{ path: "package-lock.json", reason: "lockfile" }],
    dismissedAgain: 1,
    durationMs: 12_400,
    tokens: 12_345,
  };

  it("lists every finding with its status, the range, skipped files, time and tokens, behind its marker", () => {
    const text = renderReviewSummary({
      ...view,
      entries: [
        entry(1, "fixed", { fixedSha: "c".repeat(40) }),
        entry(2, "still present", { reproduced: true }),
        entry(3, "dismissed"),
        entry(4, "new", { inline: false, note: "below review.min_inline_priority (P1)", priority: "P2" }),
      ],
    });
    expect(text.startsWith("<!-- loopwright:review-summary=12 -->")).toBe(true);
    expect(text).toContain(
      "Reviewed aaaaaaa..bbbbbbb (the whole pull request). 2 open findings (1 new, 1 still present, 1 fixed, 1 dismissed).",
    );
    expect(text).toContain("| F1 | P1 · 80% |");
    expect(text).toContain("| fixed in ccccccc |");
    expect(text).toContain("P1 · 80% · ✅ reproduced");
    expect(text).toContain("`src/a.ts:3-5` (summary only)");
    expect(text).toContain("*Not posted inline: below review\\.min\\_inline\\_priority \\(P1\\).*");
    expect(text).toContain("1 dismissed finding was found again and not raised.");
    expect(text).toContain("- `package-lock.json`: lockfile");
    expect(text).toContain("Task 40 · 12 s · 12,345 tokens");
    // Model text never pings anyone or closes Loopwright's blocks.
    expect(text).toContain("cc @&#8203;bob");
    expect(text).not.toContain("cc @bob");
    expect(text).toContain("&lt;/details>");
    expect(text.split("<details>").length).toBe(text.split("</details>").length);
  });

  it("names an incremental review's range", () => {
    const text = renderReviewSummary({
      ...view,
      since: "d".repeat(40),
      entries: [],
      dismissedAgain: 0,
      skipped: [],
    });
    expect(text).toContain("Reviewed the commits ddddddd..bbbbbbb (incremental");
    expect(text).toContain("No open findings.");
  });
});

describe("renderFindingComment", () => {
  it("carries the finding's marker, a suggestion block and the dismissal hint", () => {
    const text = renderFindingComment(
      {
        ...entry(3, "new"),
        fingerprint: "abc123",
        evidence: { command: "node t.js", expected: "FAIL" },
        reproduced: true,
      },
      "return a + b;",
      "/agent",
    );
    expect(text).toContain("<!-- loopwright:finding=abc123 -->");
    expect(text).toContain("**F3 · P1** Finding 3 \\| @&#8203;ann (80% · ✅ reproduced)");
    expect(text).toContain("```suggestion\nreturn a + b;\n```");
    expect(text).toContain("Loopwright re-ran this in a fresh sandbox");
    expect(text).toContain("Reply `/agent dismiss` if this is not a problem.");
  });
});
