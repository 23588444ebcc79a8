import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { diffCommits, fileLinesAt, restoreFromCommit, reviewRange } from "../../src/workspace/review-git.ts";
import { git, removeDir, tempDir } from "./helpers/git-repos.ts";

describe("review git reads", () => {
  let root: string;
  let repo: string;
  const commit = (file: string, text: string) => {
    writeFileSync(path.join(repo, file), text);
    git(repo, "add", "-A");
    git(repo, "commit", "--quiet", "-m", `change ${file}`);
    return git(repo, "rev-parse", "HEAD");
  };

  beforeEach(() => {
    root = tempDir("review-git");
    repo = path.join(root, "repo");
    git(root, "init", "--quiet", "--initial-branch=main", "repo");
  });
  afterEach(() => removeDir(root));

  it("finds the merge-base, an incremental start that is an ancestor, and none after a force-push", async () => {
    const base = commit("a.txt", "one\n");
    git(repo, "checkout", "--quiet", "-b", "feature");
    const first = commit("a.txt", "one\ntwo\n");
    const second = commit("b.txt", "bee\n");
    git(repo, "checkout", "--quiet", "main");
    commit("c.txt", "main moved on\n");
    const mirror = { mirrorPath: repo, repository: "o/r" };

    const range = await reviewRange(mirror, { baseRef: "main", head: second, lastReviewed: first });
    expect(range).toEqual({ mergeBase: base, head: second, since: first });

    // A rewritten history: the last reviewed commit is no longer an ancestor, so the review is full.
    git(repo, "checkout", "--quiet", "-b", "rewritten", base);
    const rewritten = commit("a.txt", "uno\n");
    expect(
      (await reviewRange(mirror, { baseRef: "main", head: rewritten, lastReviewed: first })).since,
    ).toBeUndefined();
    expect(
      (await reviewRange(mirror, { baseRef: "main", head: second, lastReviewed: second })).since,
    ).toBeUndefined();
    expect(
      (await reviewRange(mirror, { baseRef: "main", head: second, lastReviewed: null })).since,
    ).toBeUndefined();
    await expect(reviewRange(mirror, { baseRef: "nope", head: second, lastReviewed: null })).rejects.toThrow(
      "the base branch nope does not exist in o/r",
    );

    const diff = await diffCommits(mirror, range.mergeBase, range.head);
    expect(diff).toContain("+++ b/b.txt");
    expect(diff).toContain("+two");
    expect(await fileLinesAt(mirror, second, "a.txt")).toEqual(["one", "two"]);
    expect(await fileLinesAt(mirror, base, "b.txt")).toBeUndefined();
  });

  it("puts a file back as a trusted commit has it, or removes it when that commit has none", async () => {
    const base = commit("AGENTS.md", "trusted\n");
    const mirror = { mirrorPath: repo, repository: "o/r" };
    const tree = path.join(root, "tree");
    git(root, "clone", "--quiet", repo, "tree");
    writeFileSync(path.join(tree, "AGENTS.md"), "from the fork\n");
    await restoreFromCommit(mirror, tree, base, "AGENTS.md");
    expect(readFileSync(path.join(tree, "AGENTS.md"), "utf8")).toBe("trusted\n");
    writeFileSync(path.join(tree, "NEW.md"), "added by the fork\n");
    await restoreFromCommit(mirror, tree, base, "NEW.md");
    expect(() => readFileSync(path.join(tree, "NEW.md"))).toThrow();
  });
});
