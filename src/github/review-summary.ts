import type { Priority } from "../agent/tools/submit-review.ts";
import type { SkippedFile } from "../review/file-filter.ts";
import {
  codeBlock,
  condenseMarkdown,
  details,
  escapeInline,
  GITHUB_BODY_LIMIT,
  inlineCode,
  marker,
  safeMarkdown,
} from "./markdown.ts";

/** The marker of a pull request's one summary comment, edited in place by every review. */
export const reviewSummaryMarker = (number: number): string => marker("review-summary", String(number));

/** The marker in each inline finding comment: how its comment id is found after posting. */
export const findingMarker = (fingerprint: string): string => marker("finding", fingerprint);

export type FindingStatusWord = "new" | "still present" | "fixed" | "dismissed";

/** One finding as the summary lists it. */
export type SummaryEntry = {
  ordinal: number;
  title: string;
  body: string;
  priority: Priority;
  confidence: number;
  path: string;
  startLine: number;
  endLine: number;
  status: FindingStatusWord;
  fixedSha?: string | null;
  /** True when it has an inline comment; otherwise `note` says why it is in the summary only. */
  inline: boolean;
  note?: string;
  reproduced: boolean | null;
  evidence?: { command: string; expected: string } | undefined;
};

export type ReviewSummaryView = {
  number: number;
  taskId: number;
  headSha: string;
  mergeBase: string;
  /** The last reviewed commit an incremental review started from. */
  since: string | undefined;
  summary: string;
  entries: SummaryEntry[];
  skipped: SkippedFile[];
  /** Reports of dismissed findings this review did not raise again. */
  dismissedAgain: number;
  durationMs: number;
  tokens: number;
};

const short = (sha: string) => sha.slice(0, 7);
const lines = (entry: Pick<SummaryEntry, "startLine" | "endLine">) =>
  entry.endLine > entry.startLine ? `${entry.startLine}-${entry.endLine}` : String(entry.startLine);

/** How sure the model was, and whether Loopwright reproduced it: `90% · reproduced`. */
function certainty(entry: Pick<SummaryEntry, "confidence" | "reproduced">): string {
  const percent = `${Math.round(entry.confidence * 100)}%`;
  if (entry.reproduced === true) return `${percent} · ✅ reproduced`;
  if (entry.reproduced === false) return `${percent} · not reproduced`;
  return percent;
}

function statusText(entry: SummaryEntry): string {
  if (entry.status === "fixed") return entry.fixedSha ? `fixed in ${short(entry.fixedSha)}` : "fixed";
  return entry.status;
}

/** How a reproduced (or not) finding's evidence ran, for the comment and the summary. */
function evidenceText(entry: Pick<SummaryEntry, "evidence" | "reproduced">): string {
  if (!entry.evidence || entry.reproduced === null) return "";
  const verdict = entry.reproduced
    ? "Loopwright re-ran this in a fresh sandbox on the reviewed commit and the output showed the problem:"
    : "Loopwright re-ran this in a fresh sandbox on the reviewed commit; the output did not show the expected text:";
  return `\n\n${verdict}\n\n${codeBlock(entry.evidence.command, "console")}\nexpected in the output: ${inlineCode(entry.evidence.expected)}`;
}

/**
 * The text of a finding's inline comment: its number, priority and title, the explanation, a
 * ```suggestion block when one fits the anchor, how its evidence ran, and how to dismiss it.
 *
 * @example
 * renderFindingComment({ ordinal: 3, fingerprint, title, body, priority: "P1", … }, "return a + b;");
 */
export function renderFindingComment(
  finding: Pick<
    SummaryEntry,
    "ordinal" | "title" | "body" | "priority" | "confidence" | "reproduced" | "evidence"
  > & {
    fingerprint: string;
    /** Set for a file-level comment that stands for lines outside the diff. */
    lines?: string;
  },
  suggestion: string | undefined,
  command: string,
): string {
  const parts = [
    findingMarker(finding.fingerprint),
    `**F${finding.ordinal} · ${finding.priority}** ${escapeInline(finding.title)} (${certainty(finding)})`,
    "",
    safeMarkdown(finding.body) + (finding.lines ? `\n\n(lines ${finding.lines})` : ""),
  ];
  if (suggestion !== undefined) parts.push("", codeBlock(suggestion, "suggestion"));
  const evidence = evidenceText(finding);
  if (evidence) parts.push(evidence.trimStart());
  parts.push("", `<sub>Reply ${inlineCode(`${command} dismiss`)} if this is not a problem.</sub>`);
  return parts.join("\n");
}

/**
 * The pull request's one review summary comment (found by its marker, edited in place): every
 * finding with its status (new, still present, fixed in `<sha>`, dismissed), the range reviewed, the
 * files not reviewed and why, and the time and tokens the review took.
 *
 * @example
 * upsertMarkedComment(octokit, target, reviewSummaryMarker(12), renderReviewSummary(view));
 */
export function renderReviewSummary(view: ReviewSummaryView): string {
  const open = view.entries.filter((entry) => entry.status === "new" || entry.status === "still present");
  const counts = (["new", "still present", "fixed", "dismissed"] as const)
    .map((status) => [status, view.entries.filter((entry) => entry.status === status).length] as const)
    .filter(([, count]) => count > 0)
    .map(([status, count]) => `${count} ${status}`);
  const range = view.since
    ? `the commits ${short(view.since)}..${short(view.headSha)} (incremental; the pull request's diff is ${short(view.mergeBase)}..${short(view.headSha)})`
    : `${short(view.mergeBase)}..${short(view.headSha)} (the whole pull request)`;
  const parts = [
    reviewSummaryMarker(view.number),
    `## Loopwright review of ${short(view.headSha)}`,
    "",
    safeMarkdown(view.summary),
    "",
    `Reviewed ${range}. ${open.length === 0 ? "No open findings" : `${open.length} open finding${open.length === 1 ? "" : "s"}`}${counts.length > 0 ? ` (${counts.join(", ")})` : ""}.`,
  ];
  if (view.entries.length > 0) {
    parts.push("", "| | Priority | Finding | Where | Status |", "| --- | --- | --- | --- | --- |");
    for (const entry of view.entries) {
      const where = `${inlineCode(`${entry.path}:${lines(entry)}`)}${entry.inline ? "" : " (summary only)"}`;
      parts.push(
        `| F${entry.ordinal} | ${entry.priority} · ${certainty(entry)} | ${escapeInline(entry.title)} | ${where} | ${statusText(entry)} |`,
      );
    }
  }
  const summaryOnly = view.entries.filter(
    (entry) => !entry.inline && (entry.status === "new" || entry.status === "still present"),
  );
  for (const entry of summaryOnly) {
    const why = entry.note ? `\n\n*Not posted inline: ${escapeInline(entry.note)}.*` : "";
    parts.push(
      "",
      details(
        `F${entry.ordinal} ${entry.priority}: ${entry.title} (${entry.path}:${lines(entry)})`,
        `${safeMarkdown(entry.body)}${evidenceText(entry)}${why}`,
      ),
    );
  }
  if (view.dismissedAgain > 0) {
    parts.push(
      "",
      `${view.dismissedAgain} dismissed finding${view.dismissedAgain === 1 ? " was" : "s were"} found again and not raised.`,
    );
  }
  if (view.skipped.length > 0) {
    parts.push(
      "",
      details(
        `Files not reviewed (${view.skipped.length})`,
        view.skipped.map((file) => `- ${inlineCode(file.path)}: ${escapeInline(file.reason)}`).join("\n"),
      ),
    );
  }
  const seconds = Math.round(view.durationMs / 1000);
  parts.push(
    "",
    `<sub>Task ${view.taskId} · ${seconds} s · ${view.tokens.toLocaleString("en-US")} tokens · findings are remembered: none is posted twice, fixed ones are resolved, dismissed ones are not raised again.</sub>`,
  );
  return condenseMarkdown(parts.join("\n"), GITHUB_BODY_LIMIT - 1_000);
}
