import { describe, expect, it } from "vitest";
import { type CommitFile, type HistoryCommit, selectCandidate } from "../../src/eval/candidates.ts";
import { classifyPath, isNodeTestFile } from "../../src/eval/test-paths.ts";

const file = (path: string, changes: Partial<CommitFile> = {}): CommitFile => ({
  path,
  added: 3,
  deleted: 1,
  binary: false,
  ...changes,
});

const commit = (files: CommitFile[], parents = ["p1"]): HistoryCommit => ({
  sha: "c1",
  parents,
  date: "2025-01-01T00:00:00Z",
  subject: "Fix it",
  files,
});

describe("classifyPath", () => {
  it.each([
    ["test/sum.js", "test"],
    ["tests/unit/sum.py", "test"],
    ["src/__tests__/sum.ts", "test"],
    ["packages/a/spec/helpers.rb", "test"],
    ["lib/sum.test.js", "test"],
    ["lib/sum.spec.tsx", "test"],
    ["test.js", "test"],
    ["test-sum.mjs", "test"],
    ["sum_test.go", "test"],
    ["test_sum.py", "test"],
    ["src/SumTest.java", "test"],
    ["test/fixtures/data.json", "test"],
    ["lib/sum.js", "source"],
    ["src/main.rs", "source"],
    ["index.d.ts", "source"],
    ["latest.js", "source"],
    ["contest/entry.js", "source"],
    ["README.md", "other"],
    ["package.json", "other"],
    ["package-lock.json", "other"],
    [".github/workflows/ci.yml", "other"],
  ])("%s is %s", (path, kind) => {
    expect(classifyPath(path)).toBe(kind);
  });

  it("knows which test files node can run alone", () => {
    expect(isNodeTestFile("test/sum.test.js")).toBe(true);
    expect(isNodeTestFile("test/sum.test.mts")).toBe(true);
    expect(isNodeTestFile("test/fixtures/data.json")).toBe(false);
    expect(isNodeTestFile("tests/test_sum.py")).toBe(false);
  });
});

describe("selectCandidate", () => {
  it("keeps a commit that changes source and tests together, sorting its files", () => {
    expect(
      selectCandidate(commit([file("lib/clamp.js"), file("test/clamp.test.js"), file("README.md")])),
    ).toEqual({
      kind: "candidate",
      tests: ["test/clamp.test.js"],
      sources: ["lib/clamp.js"],
      others: ["README.md"],
    });
  });

  it("rejects refactors without tests, test-only changes, merges, first commits and binary files", () => {
    expect(selectCandidate(commit([file("lib/a.js"), file("lib/b.js")]))).toEqual({
      kind: "rejected",
      reason: "changes no test file",
    });
    expect(selectCandidate(commit([file("test/a.test.js"), file("docs/a.md")]))).toEqual({
      kind: "rejected",
      reason: "changes no source file",
    });
    expect(selectCandidate(commit([file("lib/a.js"), file("test/a.js")], ["p1", "p2"])).kind).toBe(
      "rejected",
    );
    expect(selectCandidate(commit([file("lib/a.js"), file("test/a.js")], []))).toEqual({
      kind: "rejected",
      reason: "the first commit",
    });
    expect(
      selectCandidate(commit([file("lib/a.js"), file("test/a.js"), file("logo.png", { binary: true })])),
    ).toEqual({ kind: "rejected", reason: "changes a binary file (logo.png)" });
  });

  it("rejects commits too large to be one problem", () => {
    const many = Array.from({ length: 41 }, (_, index) => file(`lib/f${index}.js`));
    expect(selectCandidate(commit([...many, file("test/a.js")])).kind).toBe("rejected");
    expect(
      selectCandidate(commit([file("lib/a.js", { added: 1500 }), file("test/a.js", { added: 600 })]), {
        maxLines: 2000,
      }),
    ).toEqual({ kind: "rejected", reason: "changes 2102 lines (more than 2000)" });
  });
});
