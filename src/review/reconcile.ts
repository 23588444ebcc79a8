import type { Priority, SubmittedFinding } from "../agent/tools/submit-review.ts";
import type { ReviewMode } from "../github/review-triggers.ts";
import type { StoredFinding } from "../store/reviews.ts";
import type { Anchor } from "./anchors.ts";

/** A finding of this review, placed on the diff and fingerprinted. */
export type CurrentFinding = SubmittedFinding & {
  fingerprint: string;
  /** The anchored lines' code (what the fingerprint and later "still there?" checks compare). */
  code: string[];
  anchor: Anchor;
  /** Whether Loopwright's own re-run of the evidence showed the problem; null when not re-run. */
  reproduced: boolean | null;
};

/** What this review's findings mean next to what earlier reviews of the pull request found. */
export type Reconciled = {
  /** Never reported on this pull request before: these are posted. */
  added: CurrentFinding[];
  /** Reported before and again now (never posted twice; a fixed one is open again). */
  seen: { stored: StoredFinding; current: CurrentFinding }[];
  /** Open, not reported by this incremental review, and their code is still there. */
  stillPresent: StoredFinding[];
  /** Open until now, and gone: their code changed, or a full review no longer reports them. */
  fixed: StoredFinding[];
  /** Reports of findings a human dismissed: counted, never raised again. */
  dismissedAgain: number;
};

/**
 * Sets this review's findings against the pull request's memory. Matching is by fingerprint (file,
 * anchored code, title), so moved lines do not make a finding new. An open finding that is not
 * reported again is fixed when its code is gone from the head, or when this was a full review (the
 * model looked at everything and no longer sees it); an incremental review only looked at the new
 * commits, so there it stays open while its code is there.
 *
 * @example
 * const { added, fixed } = reconcileFindings({ stored, current, mode: "incremental", present: (f) => … });
 */
export function reconcileFindings(options: {
  stored: readonly StoredFinding[];
  current: readonly CurrentFinding[];
  mode: ReviewMode;
  /** Whether an earlier finding's code is still in the head commit. */
  present: (finding: StoredFinding) => boolean;
}): Reconciled {
  const byFingerprint = new Map(options.stored.map((finding) => [finding.fingerprint, finding]));
  const result: Reconciled = { added: [], seen: [], stillPresent: [], fixed: [], dismissedAgain: 0 };
  const reported = new Set<string>();
  for (const current of options.current) {
    if (reported.has(current.fingerprint)) continue;
    reported.add(current.fingerprint);
    const stored = byFingerprint.get(current.fingerprint);
    if (!stored) result.added.push(current);
    else if (stored.status === "dismissed") result.dismissedAgain += 1;
    else result.seen.push({ stored, current });
  }
  for (const stored of options.stored) {
    if (stored.status !== "open" || reported.has(stored.fingerprint)) continue;
    if (!options.present(stored) || options.mode === "full") result.fixed.push(stored);
    else result.stillPresent.push(stored);
  }
  return result;
}

const RANK: Record<Priority, number> = { P0: 0, P1: 1, P2: 2, P3: 3 };

/**
 * Orders findings for posting: highest priority first, then the most confident, then reproduced ones.
 *
 * @example
 * [...findings].sort(byImportance);
 */
export function byImportance(
  a: Pick<CurrentFinding, "priority" | "confidence" | "reproduced">,
  b: Pick<CurrentFinding, "priority" | "confidence" | "reproduced">,
): number {
  return (
    RANK[a.priority] - RANK[b.priority] ||
    b.confidence - a.confidence ||
    Number(b.reproduced === true) - Number(a.reproduced === true)
  );
}

/** Whether a priority is at least as high as another (P0 is the highest). */
export const atLeast = (priority: Priority, threshold: Priority): boolean =>
  RANK[priority] <= RANK[threshold];

/**
 * Which new findings get an inline comment: those anchored on the diff (lines or file), at least
 * `minPriority`, highest priority first, at most `maxComments`. The rest go to the summary only,
 * each with the reason.
 *
 * @example
 * const { inline, summaryOnly } = chooseInline(added, { maxComments: 10, minPriority: "P1" });
 */
export function chooseInline(
  findings: readonly CurrentFinding[],
  limits: { maxComments: number; minPriority: Priority },
): { inline: CurrentFinding[]; summaryOnly: { finding: CurrentFinding; reason: string }[] } {
  const inline: CurrentFinding[] = [];
  const summaryOnly: { finding: CurrentFinding; reason: string }[] = [];
  for (const finding of [...findings].sort(byImportance)) {
    if (finding.anchor.kind === "summary") summaryOnly.push({ finding, reason: finding.anchor.reason });
    else if (!atLeast(finding.priority, limits.minPriority)) {
      summaryOnly.push({ finding, reason: `below review.min_inline_priority (${limits.minPriority})` });
    } else if (inline.length >= limits.maxComments) {
      summaryOnly.push({ finding, reason: `over review.max_comments (${limits.maxComments})` });
    } else inline.push(finding);
  }
  return { inline, summaryOnly };
}

/**
 * The check run's conclusion from `review.fail_on`: failure when an open finding is at least that
 * priority, success otherwise; neutral when `fail_on` is none.
 *
 * @example
 * checkConclusion("P1", ["P2", "P1"]); // "failure"
 */
export function checkConclusion(
  failOn: "none" | "P0" | "P1",
  openPriorities: readonly Priority[],
): "neutral" | "success" | "failure" {
  if (failOn === "none") return "neutral";
  return openPriorities.some((priority) => atLeast(priority, failOn)) ? "failure" : "success";
}
