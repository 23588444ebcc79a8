import { describe, expect, it } from "vitest";
import {
  type CurrentFinding,
  checkConclusion,
  chooseInline,
  reconcileFindings,
} from "../../src/review/reconcile.ts";
import type { StoredFinding } from "../../src/store/reviews.ts";

function current(fingerprint: string, extra: Partial<CurrentFinding> = {}): CurrentFinding {
  return {
    title: `finding ${fingerprint}`,
    body: "why",
    priority: "P1",
    confidence: 0.8,
    path: "a.ts",
    start_line: 1,
    end_line: 1,
    side: "RIGHT",
    fingerprint,
    code: ["x"],
    anchor: { kind: "lines", path: "a.ts", side: "RIGHT", startLine: 1, line: 1, narrowed: false },
    reproduced: null,
    ...extra,
  };
}

function stored(
  fingerprint: string,
  status: StoredFinding["status"] = "open",
  id = fingerprint.length,
): StoredFinding {
  return {
    id,
    ordinal: id,
    fingerprint,
    title: fingerprint,
    body: "why",
    priority: "P1",
    confidence: 0.8,
    path: "a.ts",
    startLine: 1,
    endLine: 1,
    side: "RIGHT",
    code: ["x"],
    status,
    firstSha: "1".repeat(40),
    lastSeenSha: "1".repeat(40),
    fixedSha: null,
    commentId: 10 + id,
    reproduced: null,
    dismissedBy: null,
  };
}

describe("reconcileFindings", () => {
  it("posts only findings never seen, never re-raises dismissed ones, reports each fingerprint once", () => {
    const result = reconcileFindings({
      stored: [stored("old"), stored("nope", "dismissed", 7)],
      current: [current("old"), current("new"), current("new"), current("nope")],
      mode: "incremental",
      present: () => true,
    });
    expect(result.added.map((finding) => finding.fingerprint)).toEqual(["new"]);
    expect(result.seen.map((entry) => entry.stored.fingerprint)).toEqual(["old"]);
    expect(result.dismissedAgain).toBe(1);
    expect(result.fixed).toEqual([]);
  });

  it("an incremental review keeps an unreported finding open while its code is there, fixed once it is gone", () => {
    const options = {
      stored: [stored("kept", "open", 1), stored("gone", "open", 2)],
      current: [],
      mode: "incremental" as const,
    };
    const result = reconcileFindings({ ...options, present: (finding) => finding.fingerprint === "kept" });
    expect(result.stillPresent.map((finding) => finding.fingerprint)).toEqual(["kept"]);
    expect(result.fixed.map((finding) => finding.fingerprint)).toEqual(["gone"]);
  });

  it("a full review that no longer reports a finding counts it fixed", () => {
    const result = reconcileFindings({
      stored: [stored("a")],
      current: [],
      mode: "full",
      present: () => true,
    });
    expect(result.fixed.map((finding) => finding.fingerprint)).toEqual(["a"]);
  });

  it("a fixed finding reported again is seen (open again) but not posted again", () => {
    const result = reconcileFindings({
      stored: [stored("back", "fixed")],
      current: [current("back")],
      mode: "full",
      present: () => true,
    });
    expect(result.added).toEqual([]);
    expect(result.seen).toHaveLength(1);
  });
});

describe("chooseInline", () => {
  it("posts the highest priorities first up to max_comments; the rest go to the summary with the reason", () => {
    const findings = [
      current("p2", { priority: "P2" }),
      current("p1-unsure", { priority: "P1", confidence: 0.3 }),
      current("p0", { priority: "P0" }),
      current("p1-sure", { priority: "P1", confidence: 0.9 }),
      current("outside", { priority: "P0", anchor: { kind: "summary", reason: "b.ts is not changed" } }),
    ];
    const { inline, summaryOnly } = chooseInline(findings, { maxComments: 2, minPriority: "P1" });
    expect(inline.map((finding) => finding.fingerprint)).toEqual(["p0", "p1-sure"]);
    expect(summaryOnly.map((entry) => [entry.finding.fingerprint, entry.reason])).toEqual([
      ["outside", "b.ts is not changed"],
      ["p1-unsure", "over review.max_comments (2)"],
      ["p2", "below review.min_inline_priority (P1)"],
    ]);
  });
});

describe("checkConclusion", () => {
  it("is neutral without fail_on, failure at or above it, success below", () => {
    expect(checkConclusion("none", ["P0"])).toBe("neutral");
    expect(checkConclusion("P1", ["P2", "P1"])).toBe("failure");
    expect(checkConclusion("P0", ["P1"])).toBe("success");
    expect(checkConclusion("P0", [])).toBe("success");
  });
});
