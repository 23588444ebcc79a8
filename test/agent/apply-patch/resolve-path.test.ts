import path from "node:path";
import { describe, expect, it } from "vitest";
import { ApplyPatchError, resolveInsideCwd } from "../../../src/agent/apply-patch/index.ts";

describe("resolveInsideCwd", () => {
  it("resolves relative paths inside the directory, including ones that dip into .. and come back", () => {
    expect(resolveInsideCwd("/repo", "src/a.ts")).toBe(path.resolve("/repo/src/a.ts"));
    expect(resolveInsideCwd("/repo/", "src/../b/./c.txt")).toBe(path.resolve("/repo/b/c.txt"));
    expect(resolveInsideCwd("/repo", "..hidden")).toBe(path.resolve("/repo/..hidden"));
  });

  it.each([
    ["../etc/passwd", "path escapes the working directory"],
    ["a/../../b", "path escapes the working directory"],
    ["..", "path escapes the working directory"],
    ["/etc/passwd", "absolute paths are not allowed"],
    [".", "names the working directory itself"],
    ["a/..", "names the working directory itself"],
  ])("refuses %s", (relativePath, reason) => {
    expect(() => resolveInsideCwd("/repo", relativePath)).toThrow(ApplyPatchError);
    expect(() => resolveInsideCwd("/repo", relativePath)).toThrow(reason);
  });
});
