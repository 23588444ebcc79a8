import { writeFile } from "node:fs/promises";
import type { Workspaces } from "../workspace/workspace.ts";
import type { HistoryCommit } from "./candidates.ts";
import { commitMessage, diffPaths, fileAt, listCommits, type RepositoryReader } from "./history.ts";
import type { ReviewCase } from "./review-set.ts";
import { classifyPath } from "./test-paths.ts";
import { parseUnifiedDiff } from "./unified-diff.ts";

/** A known bug put into one line: the line replaced (or removed, `to: null`). */
export type Mutation = {
  /** 1-based line of the file at the commit. */
  line: number;
  from: string;
  to: string | null;
  /** What was seeded, in words ("off-by-one boundary: `<=` → `<`"). */
  description: string;
};

/**
 * One-line mutations, tried in this order on each line: flipped comparisons and logic, and
 * off-by-ones (a `± 1` dropped; `<` and `<=` swapped only in loop conditions, where that is the
 * classic off-by-one rather than a change that makes no difference).
 */
const OPERATORS: readonly { name: string; find: string; replace: string; only?: RegExp }[] = [
  { name: "flipped comparison", find: " === ", replace: " !== " },
  { name: "flipped comparison", find: " !== ", replace: " === " },
  { name: "off-by-one boundary", find: " <= ", replace: " < ", only: /\b(for|while)\s*\(/ },
  { name: "off-by-one boundary", find: " < ", replace: " <= ", only: /\b(for|while)\s*\(/ },
  { name: "flipped comparison", find: " <= ", replace: " >= " },
  { name: "flipped comparison", find: " >= ", replace: " <= " },
  { name: "flipped comparison", find: " < ", replace: " > " },
  { name: "flipped comparison", find: " > ", replace: " < " },
  { name: "off-by-one", find: " - 1", replace: "" },
  { name: "off-by-one", find: " + 1", replace: "" },
  { name: "flipped logic", find: " && ", replace: " || " },
  { name: "flipped logic", find: " || ", replace: " && " },
];

/** `if (x == null) return …;`, `if (!x) throw …;`: a guard whose removal is a bug. */
const NULL_CHECK =
  /^\s*if\s*\(\s*(?:!\s*[\w.$]+|[\w.$]+\s*={2,3}\s*(?:null|undefined))\s*\)\s*(?:return|throw)\b[^{}]*;?\s*$/;

/** Whether `index` of `line` is outside string literals (an even number of each quote before it). */
function outsideStrings(line: string, index: number): boolean {
  const before = line.slice(0, index);
  return ['"', "'", "`"].every((quote) => before.split(quote).length % 2 === 1);
}

/**
 * The mutations that can be seeded in the given lines of a file: each operator that occurs in a line
 * (outside strings and comments), and the removal of a null check.
 *
 * @example
 * mutationsOf(["if (i <= n) {"], [1]); // [{ line: 1, from: "if (i <= n) {", to: "if (i < n) {", description: "off-by-one boundary: `<=` → `<`" }]
 */
export function mutationsOf(lines: readonly string[], candidates: readonly number[]): Mutation[] {
  const mutations: Mutation[] = [];
  for (const line of candidates) {
    const text = lines[line - 1];
    if (text === undefined) continue;
    const trimmed = text.trim();
    if (trimmed === "" || /^(\/\/|\/\*|\*|#)/.test(trimmed)) continue;
    if (NULL_CHECK.test(text) && lines.length > 1) {
      mutations.push({ line, from: text, to: null, description: `removed null check: \`${trimmed}\`` });
    }
    for (const operator of OPERATORS) {
      const index = text.indexOf(operator.find);
      if (index < 0 || !outsideStrings(text, index) || (operator.only && !operator.only.test(text))) continue;
      const to = `${text.slice(0, index)}${operator.replace}${text.slice(index + operator.find.length)}`;
      const shown = (part: string) => (part.trim() === "" ? "nothing" : `\`${part.trim()}\``);
      mutations.push({
        line,
        from: text,
        to,
        description: `${operator.name}: ${shown(operator.find)} → ${shown(operator.replace)}`,
      });
    }
  }
  return mutations;
}

/**
 * One mutation chosen by the commit id, so the same history always gives the same set and the
 * operators spread over commits.
 *
 * @example
 * pickMutation("4f1c2ab9…", mutations); // mutations[0x4f1c2ab9 % mutations.length]
 */
export function pickMutation(sha: string, mutations: readonly Mutation[]): Mutation | undefined {
  if (mutations.length === 0) return undefined;
  return mutations[Number.parseInt(sha.slice(0, 8), 16) % mutations.length];
}

/**
 * The git diff of one mutation of a file, with up to three lines of context.
 *
 * @example
 * mutationDiff("lib/sum.js", ["export function sum(a, b) {", "  return a + b;", "}"], { line: 2, from: "  return a + b;", to: "  return a - b;", description: "" });
 */
export function mutationDiff(path: string, lines: readonly string[], mutation: Mutation): string {
  const first = Math.max(1, mutation.line - 3);
  const last = Math.min(lines.length, mutation.line + 3);
  const before = lines.slice(first - 1, mutation.line - 1);
  const after = lines.slice(mutation.line, last);
  const oldCount = before.length + 1 + after.length;
  const newCount = before.length + (mutation.to === null ? 0 : 1) + after.length;
  return [
    `diff --git a/${path} b/${path}`,
    `--- a/${path}`,
    `+++ b/${path}`,
    `@@ -${first},${oldCount} +${newCount === 0 ? first - 1 : first},${newCount} @@`,
    ...before.map((text) => ` ${text}`),
    `-${mutation.from}`,
    ...(mutation.to === null ? [] : [`+${mutation.to}`]),
    ...after.map((text) => ` ${text}`),
    "",
  ].join("\n");
}

/** The lines a commit's diff adds to each file (new side, 1-based). */
function addedLines(diff: string): Map<string, number[]> {
  const added = new Map<string, number[]>();
  for (const file of parseUnifiedDiff(diff)) {
    if (file.newPath === null || file.binary) continue;
    const numbers: number[] = [];
    for (const hunk of file.hunks) {
      let line = hunk.newStart;
      for (const body of hunk.lines) {
        if (body.startsWith("+")) numbers.push(line);
        if (!body.startsWith("-")) line += 1;
      }
    }
    added.set(file.newPath, numbers);
  }
  return added;
}

/** Whether a commit can be a pull request of the set: one parent, no binary file, source changed, small. */
function reviewable(commit: HistoryCommit): string[] {
  if (commit.parents.length !== 1 || commit.files.some((file) => file.binary)) return [];
  if (commit.files.length > 40) return [];
  if (commit.files.reduce((sum, file) => sum + file.added + file.deleted, 0) > 2000) return [];
  return commit.files
    .filter((file) => file.added > 0 && classifyPath(file.path) === "source")
    .map((file) => file.path);
}

export type SeedOptions = {
  /** The repository as the set names it (a path or a URL). */
  repo: string;
  out: string;
  since?: string;
  /** Commits to take (each gives a clean and a seeded pull request); default 10. */
  max?: number;
  signal: AbortSignal;
  progress(line: string): void;
};

/**
 * `loopwright eval review seed`: a review set from a repository's history. Newest first, each commit
 * with one parent that adds lines to source files becomes two pull requests: the commit as it is
 * (`clean`), and the commit with one known bug seeded in a line it added — a flipped comparison, an
 * off-by-one, flipped logic or a removed null check, chosen by the commit id — (`bug` at that line).
 * Deterministic: the same history and options write the same set.
 *
 * @example
 * const written = await seedReviewSet({ workspaces }, { repo: "/src/app", out: "reviews.jsonl", max: 10, signal, progress });
 */
export async function seedReviewSet(
  deps: { workspaces: Workspaces },
  options: SeedOptions,
): Promise<{ commits: number; cases: number }> {
  const mirror = await deps.workspaces.cache.acquire({ url: options.repo, signal: options.signal });
  try {
    const reader: RepositoryReader = {
      dir: mirror.path,
      display: mirror.location.display,
      signal: options.signal,
    };
    const max = options.max ?? 10;
    const cases: ReviewCase[] = [];
    const commits = await listCommits(reader, { since: options.since });
    let taken = 0;
    for (const commit of commits) {
      if (taken >= max || options.signal.aborted) break;
      const sources = reviewable(commit);
      if (sources.length === 0) continue;
      const parent = commit.parents[0] as string;
      const added = addedLines(await diffPaths(reader, parent, commit.sha, sources));
      const texts = new Map<string, string[]>();
      const mutations: { path: string; mutation: Mutation }[] = [];
      for (const path of [...added.keys()].sort()) {
        const text = await fileAt(reader, commit.sha, path);
        // A file without a final newline would need git's "\ No newline" marker: left out.
        if (text === undefined || !text.endsWith("\n")) continue;
        const lines = text.slice(0, -1).split("\n");
        texts.set(path, lines);
        for (const mutation of mutationsOf(lines, added.get(path) ?? [])) mutations.push({ path, mutation });
      }
      const picked = pickMutation(
        commit.sha,
        mutations.map((entry) => entry.mutation),
      );
      const chosen = mutations.find((entry) => entry.mutation === picked);
      if (!chosen) continue;
      const message = await commitMessage(reader, commit.sha);
      const description = message.split("\n").slice(1).join("\n").trim();
      const id = commit.sha.slice(0, 12);
      const shared = {
        repo: options.repo,
        base_commit: parent,
        head_commit: commit.sha,
        title: commit.subject,
        description,
      };
      cases.push({ instance_id: `${id}-clean`, ...shared, clean: true });
      cases.push({
        instance_id: `${id}-seeded`,
        ...shared,
        patch: mutationDiff(chosen.path, texts.get(chosen.path) ?? [], chosen.mutation),
        bug: { path: chosen.path, line: chosen.mutation.line, description: chosen.mutation.description },
      });
      taken += 1;
      options.progress(
        `${id} ${commit.subject.slice(0, 60)}: seeded ${chosen.path}:${chosen.mutation.line} (${chosen.mutation.description})`,
      );
    }
    await writeFile(options.out, cases.map((line) => `${JSON.stringify(line)}\n`).join(""));
    return { commits: taken, cases: cases.length };
  } finally {
    await mirror.release();
  }
}
