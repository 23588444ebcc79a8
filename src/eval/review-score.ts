import { z } from "zod";
import type { SubmittedFinding } from "../agent/tools/submit-review.ts";
import { parseResultLines, tokensSchema } from "./results.ts";
import type { ReviewCase } from "./review-set.ts";
import { mean } from "./summary.ts";
import { type Interval, wilsonInterval } from "./wilson.ts";

/** How far (in lines) a finding may be from the seeded bug's line and still count as finding it. */
export const MATCH_DISTANCE = 3;

/** Why a review produced nothing to score. */
export const REVIEW_FAILURES = ["no_review", "budget", "error"] as const;
export type ReviewFailure = (typeof REVIEW_FAILURES)[number];

const findingSchema = z.object({
  title: z.string(),
  priority: z.string(),
  confidence: z.number(),
  path: z.string(),
  start_line: z.number().int(),
  end_line: z.number().int(),
  side: z.enum(["RIGHT", "LEFT"]),
});

/** A finding as a result line keeps it (its body and evidence are in the transcript). */
export type ResultFinding = z.output<typeof findingSchema>;

const reviewResultSchema = z.looseObject({
  instance_id: z.string().min(1),
  /** `bug`: a seeded case; `clean`: a pull request without a known bug. */
  expected: z.enum(["bug", "clean"]),
  bug: z.object({ path: z.string(), line: z.number().int() }).nullable(),
  /** Seeded cases: whether some finding is within MATCH_DISTANCE lines of the bug; null for clean ones. */
  found: z.boolean().nullable(),
  /** The indexes (in `findings`) of the findings that match the seeded bug. */
  matched: z.array(z.number().int().nonnegative()),
  findings: z.array(findingSchema),
  /** Clean cases: every finding is a false one; null for seeded cases and failed reviews. */
  false_findings: z.number().int().nonnegative().nullable(),
  failure: z.enum(REVIEW_FAILURES).nullable(),
  detail: z.string().nullable(),
  steps: z.number().int().nonnegative(),
  tool_calls: z.number().int().nonnegative(),
  tokens: tokensSchema,
  cost_usd: z.number().nonnegative().nullable(),
  wall_ms: z.number().nonnegative(),
  model: z.string(),
  agent_outcome: z.string().nullable(),
  transcript: z.string().nullable(),
  finished_at: z.string(),
});

/** One line of an `eval review` run's `results.jsonl`: a reviewed pull request. */
export type ReviewResult = z.output<typeof reviewResultSchema>;

/**
 * Parses an `eval review` run's `results.jsonl` (a last line cut short is dropped).
 *
 * @example
 * const results = parseReviewResults(await readFile("runs/r/results.jsonl", "utf8"), "runs/r/results.jsonl");
 * @throws ResultsError naming the line
 */
export function parseReviewResults(content: string, source: string): ReviewResult[] {
  return parseResultLines(content, source, reviewResultSchema);
}

/**
 * Whether a finding points at the seeded bug: the same file, on the pull request's side, with its
 * lines reaching within MATCH_DISTANCE of the bug's line.
 *
 * @example
 * matchesBug({ path: "a.js", start_line: 10, end_line: 12, side: "RIGHT" }, { path: "a.js", line: 15 }); // true
 * matchesBug({ path: "a.js", start_line: 10, end_line: 11, side: "RIGHT" }, { path: "a.js", line: 15 }); // false
 */
export function matchesBug(
  finding: Pick<ResultFinding, "path" | "start_line" | "end_line" | "side">,
  bug: { path: string; line: number },
): boolean {
  const path = finding.path.replace(/^\.\//, "");
  return (
    finding.side === "RIGHT" &&
    path === bug.path &&
    finding.start_line - MATCH_DISTANCE <= bug.line &&
    bug.line <= finding.end_line + MATCH_DISTANCE
  );
}

/** What the run knows of a review besides its findings: the agent's counts and how it ended. */
export type ReviewRunFacts = {
  failure: ReviewFailure | null;
  detail: string | null;
  steps: number;
  toolCalls: number;
  tokens: ReviewResult["tokens"];
  costUsd: number | null;
  wallMs: number;
  model: string;
  agentOutcome: string | null;
};

/**
 * The facts of a review the agent never ran for (the case could not be set up, or never ended).
 *
 * @example
 * scoreReview(reviewCase, [], reviewNotRun("gpt-5", "error", "the base commit is not in app", 1200));
 */
export function reviewNotRun(
  model: string,
  failure: ReviewFailure,
  detail: string,
  wallMs: number,
): ReviewRunFacts {
  return {
    failure,
    detail,
    steps: 0,
    toolCalls: 0,
    tokens: { input: 0, cached: 0, output: 0, total: 0 },
    costUsd: null,
    wallMs,
    model,
    agentOutcome: null,
  };
}

/**
 * The result line of a reviewed case: its findings set against the seeded bug (or, for a clean case,
 * counted as false findings). A failed review has no findings: a seeded case counts as not found, a
 * clean case has no false-finding count.
 *
 * @example
 * scoreReview(seededCase, submission.findings, facts).found; // true when a finding is within ±3 lines
 */
export function scoreReview(
  reviewCase: ReviewCase,
  findings: readonly SubmittedFinding[],
  facts: ReviewRunFacts,
): ReviewResult {
  const kept = findings.map(({ title, priority, confidence, path, start_line, end_line, side }) => ({
    title,
    priority,
    confidence,
    path,
    start_line,
    end_line,
    side,
  }));
  const bug = reviewCase.bug ? { path: reviewCase.bug.path, line: reviewCase.bug.line } : null;
  const matched = bug ? kept.flatMap((finding, index) => (matchesBug(finding, bug) ? [index] : [])) : [];
  return {
    instance_id: reviewCase.instance_id,
    expected: bug ? "bug" : "clean",
    bug,
    found: bug ? matched.length > 0 : null,
    matched,
    findings: kept,
    false_findings: bug || facts.failure !== null ? null : kept.length,
    failure: facts.failure,
    detail: facts.detail,
    steps: facts.steps,
    tool_calls: facts.toolCalls,
    tokens: facts.tokens,
    cost_usd: facts.costUsd,
    wall_ms: Math.round(facts.wallMs),
    model: facts.model,
    agent_outcome: facts.agentOutcome,
    transcript: null,
    finished_at: new Date().toISOString(),
  };
}

/** The numbers a review run's report shows. */
export type ReviewSummary = {
  cases: number;
  seeded: number;
  found: number;
  /** Found / seeded (a failed review of a seeded case is a miss), null without seeded cases. */
  recall: number | null;
  interval: Interval | null;
  /** Clean cases whose review ran; failed ones have no count and are left out. */
  clean: number;
  falseFindings: number;
  falsePerClean: number | null;
  /** Clean cases with at least one finding. */
  cleanFlagged: number;
  /** Findings on seeded cases that are not the seeded bug (real or not: nobody knows). */
  otherFindings: number;
  failures: Record<ReviewFailure, number>;
  tokens: { total: number; mean: number | null };
  wallMs: { total: number; mean: number | null };
  cost: { total: number; perCase: number | null; priced: number };
};

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/**
 * The summary of a review run: recall on seeded cases with its Wilson 95% interval, false findings per
 * clean case, failures, tokens, time and cost per case.
 *
 * @example
 * const summary = summarizeReviews(results);
 * `${summary.found}/${summary.seeded}`; // "7/10"
 */
export function summarizeReviews(results: readonly ReviewResult[]): ReviewSummary {
  const seeded = results.filter((result) => result.expected === "bug");
  const found = seeded.filter((result) => result.found === true).length;
  const clean = results.flatMap((result) => (result.false_findings === null ? [] : [result.false_findings]));
  const failures = Object.fromEntries(REVIEW_FAILURES.map((kind) => [kind, 0])) as Record<
    ReviewFailure,
    number
  >;
  for (const result of results) if (result.failure) failures[result.failure] += 1;
  const priced = results.flatMap((result) => (result.cost_usd === null ? [] : [result.cost_usd]));
  const tokens = results.map((result) => result.tokens.total);
  const wall = results.map((result) => result.wall_ms);
  return {
    cases: results.length,
    seeded: seeded.length,
    found,
    recall: seeded.length === 0 ? null : found / seeded.length,
    interval: wilsonInterval(found, seeded.length),
    clean: clean.length,
    falseFindings: sum(clean),
    falsePerClean: clean.length === 0 ? null : sum(clean) / clean.length,
    cleanFlagged: clean.filter((count) => count > 0).length,
    otherFindings: sum(seeded.map((result) => result.findings.length - result.matched.length)),
    failures,
    tokens: { total: sum(tokens), mean: mean(tokens) },
    wallMs: { total: sum(wall), mean: mean(wall) },
    cost: { total: sum(priced), perCase: mean(priced), priced: priced.length },
  };
}
