import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Workspace, Workspaces, withWorkspace } from "../../src/workspace/workspace.ts";
import { createRemote, git, pushCommitTo, removeDir, type TestRemote, tempDir } from "./helpers/git-repos.ts";

let root: string;
let remote: TestRemote;
let workspaces: Workspaces;

beforeEach(async () => {
  root = tempDir("workspace");
  remote = createRemote(root);
  workspaces = await Workspaces.open({ dataDir: path.join(root, "data"), cacheMaxBytes: 2 ** 30 });
});
afterEach(async () => {
  await workspaces.close();
  removeDir(root);
});

const head = (ws: Workspace) => git(ws.path, "rev-parse", "HEAD");

describe("Workspaces", () => {
  it("checks out the default branch on a new task branch under agent/", async () => {
    await using ws = await workspaces.create({
      url: remote.path,
      target: { kind: "default" },
      branch: "fix-issue-1",
    });
    expect(ws.branch).toBe("agent/fix-issue-1");
    expect(ws.createdBranch).toBe(true);
    expect(ws.baseSha).toBe(remote.mainSha);
    expect(head(ws)).toBe(remote.mainSha);
    expect(git(ws.path, "symbolic-ref", "--short", "HEAD")).toBe("agent/fix-issue-1");
    expect(readFileSync(path.join(ws.path, "src", "app.txt"), "utf8")).toBe("version 1\n");
    expect(git(ws.path, "status", "--porcelain")).toBe("");
    expect(git(ws.path, "rev-parse", "origin/main")).toBe(remote.mainSha);
  });

  it("checks out a branch, a commit and a pull request head", async () => {
    await using onBranch = await workspaces.create({
      url: remote.path,
      target: { kind: "branch", name: "feature" },
      branch: "agent/on-feature",
    });
    expect(head(onBranch)).toBe(remote.featureSha);
    await using onCommit = await workspaces.create({
      url: remote.path,
      target: { kind: "commit", sha: remote.featureSha.slice(0, 12) },
      branch: "on-commit",
    });
    expect(head(onCommit)).toBe(remote.featureSha);
    await using onPull = await workspaces.create({
      url: remote.path,
      target: { kind: "pull", number: 3 },
      branch: "review-3",
    });
    expect(head(onPull)).toBe(remote.pullSha);
    expect(readFileSync(path.join(onPull.path, "pull.txt"), "utf8")).toBe("from a fork\n");
  });

  it("reuses the mirror: the second workspace does not clone again", async () => {
    const first = await workspaces.create({ url: remote.path, target: { kind: "default" }, branch: "one" });
    await first.dispose();
    const mirror = workspaces.cache.mirrorPath(remote.path);
    const marker = path.join(mirror, "objects", "info", "marker");
    writeFileSync(marker, "still the same mirror");
    await using second = await workspaces.create({
      url: remote.path,
      target: { kind: "default" },
      branch: "two",
    });
    expect(existsSync(marker)).toBe(true);
    expect(second.sharedObjects).toBe(path.join(mirror, "objects"));
  });

  it("gives two parallel tasks on one repository separate, independent trees", async () => {
    const [a, b] = await Promise.all([
      workspaces.create({ url: remote.path, target: { kind: "default" }, branch: "task-a" }),
      workspaces.create({ url: remote.path, target: { kind: "pull", number: 3 }, branch: "task-b" }),
    ]);
    writeFileSync(path.join(a.path, "README.md"), "changed by a\n");
    git(a.path, "commit", "-qam", "a's commit");
    expect(readFileSync(path.join(b.path, "README.md"), "utf8")).toBe("# demo\n");
    expect(git(b.path, "status", "--porcelain")).toBe("");
    // a's commit lives in a's own .git, not in the shared mirror.
    const aCommit = head(a);
    expect(() => git(workspaces.cache.mirrorPath(remote.path), "cat-file", "-e", aCommit)).toThrow();
    await Promise.all([a.dispose(), b.dispose()]);
    expect(existsSync(a.path)).toBe(false);
    expect(existsSync(b.path)).toBe(false);
  });

  it("does not give the working tree's .git a way to write into the mirror", async () => {
    await using ws = await workspaces.create({
      url: remote.path,
      target: { kind: "default" },
      branch: "iso",
    });
    const dotGit = path.join(ws.path, ".git");
    expect(readdirSync(dotGit)).toContain("config");
    expect(readFileSync(path.join(dotGit, "objects", "info", "alternates"), "utf8").trim()).toBe(
      ws.sharedObjects,
    );
    expect(readFileSync(path.join(dotGit, "config"), "utf8")).not.toContain(workspaces.cache.root);
    expect(ws.hostGitDir.startsWith(ws.path)).toBe(false);
  });

  it("takes a spare tree built in the background and moves it to the current commit", async () => {
    const first = await workspaces.create({ url: remote.path, target: { kind: "default" }, branch: "first" });
    expect(first.fromSpare).toBe(false);
    await first.dispose();
    await workspaces.idle();
    const spares = readdirSync(workspaces.root).filter((entry) => entry.startsWith("spare-"));
    expect(spares).toHaveLength(1);

    const newSha = pushCommitTo(remote.path, "main", "src/app.txt", "version 2\n");
    await using second = await workspaces.create({
      url: remote.path,
      target: { kind: "default" },
      branch: "second",
    });
    expect(second.fromSpare).toBe(true);
    expect(git(second.path, "rev-parse", "HEAD")).toBe(newSha);
    expect(git(second.path, "rev-parse", "origin/main")).toBe(newSha);
    expect(git(second.path, "symbolic-ref", "--short", "HEAD")).toBe("agent/second");
    expect(readFileSync(path.join(second.path, "src", "app.txt"), "utf8")).toBe("version 2\n");
    expect(git(second.path, "status", "--porcelain")).toBe("");
    expect(existsSync(path.join(workspaces.root, spares[0]!))).toBe(false);

    await workspaces.idle();
    await workspaces.close();
    expect(readdirSync(workspaces.root).filter((entry) => entry.startsWith("spare-"))).toEqual([]);
    expect(existsSync(second.path)).toBe(true);
  });

  it("builds no spares when told not to", async () => {
    const plain = await Workspaces.open({
      dataDir: path.join(root, "data"),
      cacheMaxBytes: 2 ** 30,
      spareTrees: 0,
    });
    await (await plain.create({ url: remote.path, target: { kind: "default" }, branch: "x" })).dispose();
    await plain.idle();
    expect(readdirSync(plain.root)).toEqual([]);
  });

  it("removes the workspace when the work throws, and says what failed", async () => {
    let seen: Workspace | undefined;
    await expect(
      withWorkspace(
        workspaces,
        { url: remote.path, target: { kind: "default" }, branch: "boom" },
        async (ws) => {
          seen = ws;
          throw new Error("model crashed");
        },
      ),
    ).rejects.toThrow("model crashed");
    expect(seen && existsSync(path.dirname(seen.path))).toBe(false);
    expect(readdirSync(workspaces.root).filter((entry) => !entry.startsWith("spare-"))).toEqual([]);
  });

  it("cleans up after a failed creation and reports the missing ref", async () => {
    await expect(
      workspaces.create({ url: remote.path, target: { kind: "branch", name: "nope" }, branch: "x" }),
    ).rejects.toThrow(/branch nope does not exist in/);
    await expect(
      workspaces.create({
        url: remote.path,
        target: { kind: "commit", sha: "0123456789abcdef" },
        branch: "x",
      }),
    ).rejects.toThrow(/commit 0123456789abcdef does not exist in/);
    await expect(
      workspaces.create({ url: remote.path, target: { kind: "pull", number: 99 }, branch: "x" }),
    ).rejects.toThrow(/git fetch failed on .*refs\/pull\/99\/head/s);
    expect(readdirSync(workspaces.root).filter((entry) => !entry.startsWith("spare-"))).toEqual([]);
    expect(
      readdirSync(
        path.join(
          workspaces.cache.root,
          "leases",
          encodeURIComponent(
            path.relative(
              path.join(workspaces.cache.root, "mirrors"),
              workspaces.cache.mirrorPath(remote.path),
            ),
          ),
        ),
      ),
    ).toEqual([]);
  });

  it("stops at an abort signal and leaves nothing behind", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      workspaces.create({
        url: remote.path,
        target: { kind: "default" },
        branch: "x",
        signal: controller.signal,
      }),
    ).rejects.toThrow(/aborted/);
    expect(readdirSync(workspaces.root).filter((entry) => !entry.startsWith("spare-"))).toEqual([]);
  });

  it("sweeps workspaces of dead processes at start", async () => {
    const dead = path.join(workspaces.root, "ws-999999.1-0badc0de");
    (await import("node:fs")).mkdirSync(path.join(dead, "tree"), { recursive: true });
    await Workspaces.open({ dataDir: path.join(root, "data"), cacheMaxBytes: 2 ** 30 });
    expect(existsSync(dead)).toBe(false);
  });

  it("refuses bad branch names and targets with clear messages", async () => {
    const base = { url: remote.path, target: { kind: "default" } as const };
    await expect(workspaces.create({ ...base, branch: "bad..name" })).rejects.toThrow(
      /not a valid git branch name/,
    );
    await expect(workspaces.create({ ...base, branch: "" })).rejects.toThrow(/empty/);
    await expect(workspaces.create({ ...base, branch: "x", branchPrefix: "" })).rejects.toThrow(
      /prefix must not be empty/,
    );
    await expect(workspaces.create({ ...base, branch: "main", branchPrefix: "ma" })).rejects.toThrow(
      /is the default branch/,
    );
    await expect(
      workspaces.create({ url: remote.path, target: { kind: "tag" } as never, branch: "x" }),
    ).rejects.toThrow(/unknown checkout target/);
    expect(readdirSync(workspaces.root).filter((entry) => !entry.startsWith("spare-"))).toEqual([]);
  });
});
