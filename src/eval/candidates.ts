import { classifyPath } from "./test-paths.ts";

/** One file a commit changes, as `git log --numstat` reports it (binary files have no line counts). */
export type CommitFile = { path: string; added: number; deleted: number; binary: boolean };

/** A commit of the history being mined. */
export type HistoryCommit = {
  sha: string;
  parents: string[];
  /** Author date, ISO 8601. */
  date: string;
  subject: string;
  files: CommitFile[];
};

export type Candidate = {
  kind: "candidate";
  /** Changed test files: held back from the agent, applied before scoring. */
  tests: string[];
  /** Changed source files. */
  sources: string[];
  /** Other changed files (documentation, configuration), part of the fix. */
  others: string[];
};

export type Rejection = { kind: "rejected"; reason: string };

export type CandidateOptions = {
  /** More changed files than this and the commit is not one problem (default 40). */
  maxFiles?: number;
  /** More changed lines than this (source and tests together) likewise (default 2000). */
  maxLines?: number;
};

/**
 * Whether a commit can become a task: one parent, no binary file, at least one source file and one
 * test file changed together, and not too large. The tests, sources and others it returns decide
 * what is held back (tests) and what the fix is (everything else).
 *
 * @example
 * selectCandidate({ sha, parents: [parent], date, subject: "Fix clamp", files: [
 *   { path: "lib/clamp.js", added: 1, deleted: 1, binary: false },
 *   { path: "test/clamp.test.js", added: 4, deleted: 0, binary: false } ] });
 * // { kind: "candidate", tests: ["test/clamp.test.js"], sources: ["lib/clamp.js"], others: [] }
 */
export function selectCandidate(
  commit: HistoryCommit,
  options: CandidateOptions = {},
): Candidate | Rejection {
  const maxFiles = options.maxFiles ?? 40;
  const maxLines = options.maxLines ?? 2000;
  if (commit.parents.length !== 1) {
    return { kind: "rejected", reason: commit.parents.length === 0 ? "the first commit" : "a merge commit" };
  }
  const binary = commit.files.find((file) => file.binary);
  if (binary) return { kind: "rejected", reason: `changes a binary file (${binary.path})` };
  const candidate: Candidate = { kind: "candidate", tests: [], sources: [], others: [] };
  for (const file of commit.files) {
    const kind = classifyPath(file.path);
    (kind === "test" ? candidate.tests : kind === "source" ? candidate.sources : candidate.others).push(
      file.path,
    );
  }
  if (candidate.tests.length === 0) return { kind: "rejected", reason: "changes no test file" };
  if (candidate.sources.length === 0) return { kind: "rejected", reason: "changes no source file" };
  if (commit.files.length > maxFiles) {
    return { kind: "rejected", reason: `changes ${commit.files.length} files (more than ${maxFiles})` };
  }
  const lines = commit.files.reduce((sum, file) => sum + file.added + file.deleted, 0);
  if (lines > maxLines) return { kind: "rejected", reason: `changes ${lines} lines (more than ${maxLines})` };
  return candidate;
}
