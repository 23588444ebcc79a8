import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveCheckoutTarget } from "../../src/workspace/remote-ref.ts";
import { createRemote, git, removeDir, type TestRemote, tempDir } from "./helpers/git-repos.ts";

describe("resolveCheckoutTarget", () => {
  let root: string;
  let remote: TestRemote;
  beforeAll(() => {
    root = tempDir("remote-ref");
    remote = createRemote(root);
    git(remote.path, "tag", "light", remote.featureSha);
    git(remote.path, "tag", "-a", "-m", "annotated", "v1", remote.mainSha);
    // A branch whose name looks like a commit id: branches win.
    git(remote.path, "branch", "cafe1234", remote.featureSha);
  });
  afterAll(() => removeDir(root));

  it("takes no ref as the default branch", async () => {
    expect(await resolveCheckoutTarget(remote.path, undefined)).toEqual({ kind: "default" });
  });

  it("tries a branch, then a tag (at its commit), then a commit id", async () => {
    const url = `file://${remote.path}`;
    expect(await resolveCheckoutTarget(url, "feature")).toEqual({ kind: "branch", name: "feature" });
    expect(await resolveCheckoutTarget(url, "refs/heads/feature")).toEqual({
      kind: "branch",
      name: "feature",
    });
    expect(await resolveCheckoutTarget(url, "cafe1234")).toEqual({ kind: "branch", name: "cafe1234" });
    expect(await resolveCheckoutTarget(url, "light")).toEqual({ kind: "commit", sha: remote.featureSha });
    expect(await resolveCheckoutTarget(url, "refs/tags/v1")).toEqual({ kind: "commit", sha: remote.mainSha });
    expect(await resolveCheckoutTarget(url, remote.pullSha)).toEqual({ kind: "commit", sha: remote.pullSha });
  });

  it("says what is wrong with a ref that names nothing, or a remote it cannot read", async () => {
    await expect(resolveCheckoutTarget(remote.path, "nope")).rejects.toThrow(
      `"nope" is neither a branch, a tag nor a commit id of ${remote.path}`,
    );
    await expect(resolveCheckoutTarget(`${root}/missing.git`, "main")).rejects.toThrow(
      /git ls-remote failed/,
    );
  });
});
