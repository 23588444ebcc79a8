import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  commitAndPush,
  commitChanges,
  PushRejectedError,
  pushBranch,
} from "../../src/workspace/commit-push.ts";
import { Workspaces } from "../../src/workspace/workspace.ts";
import {
  createRemote,
  git,
  installHook,
  pushCommitTo,
  removeDir,
  type TestRemote,
  tempDir,
} from "./helpers/git-repos.ts";

let root: string;
let remote: TestRemote;
let workspaces: Workspaces;
const bot = { name: "loopwright[bot]", email: "123+loopwright[bot]@users.noreply.github.com" };
const requester = { name: "Mona Lisa", email: "mona@example.com" };

beforeEach(async () => {
  root = tempDir("commit");
  remote = createRemote(root);
  workspaces = await Workspaces.open({
    dataDir: path.join(root, "data"),
    cacheMaxBytes: 2 ** 30,
    spareTrees: 0,
  });
});
afterEach(() => removeDir(root));

const create = (
  branch = "fix-1",
  target: Parameters<Workspaces["create"]>[0]["target"] = { kind: "default" },
) => workspaces.create({ url: remote.path, target, branch });

describe("commitChanges", () => {
  it("says nothing changed, without committing, when the tree is untouched", async () => {
    await using ws = await create();
    const outcome = await commitChanges(ws, { message: "noop", author: bot });
    expect(outcome).toEqual({
      status: "nothing-changed",
      message: expect.stringContaining("nothing changed"),
    });
    expect(git(ws.path, "rev-parse", "HEAD")).toBe(remote.mainSha);
  });

  it("stages additions, edits and deletions and commits as the bot with the requester as co-author", async () => {
    await using ws = await create();
    writeFileSync(path.join(ws.path, "src", "app.txt"), "version 2\n");
    writeFileSync(path.join(ws.path, "NEW.md"), "new\n");
    rmSync(path.join(ws.path, "README.md"));
    writeFileSync(path.join(ws.path, ".gitignore"), "*.log\n");
    writeFileSync(path.join(ws.path, "debug.log"), "ignored\n");
    const outcome = await commitChanges(ws, { message: "Fix the app", author: bot, coAuthors: [requester] });
    expect(outcome.status).toBe("committed");
    if (outcome.status !== "committed") return;
    expect(outcome.files).toEqual(
      expect.arrayContaining([
        { path: "src/app.txt", status: "modified", added: 1, removed: 1 },
        { path: "NEW.md", status: "added", added: 1, removed: 0 },
        { path: "README.md", status: "deleted", added: 0, removed: expect.any(Number) },
        { path: ".gitignore", status: "added", added: 1, removed: 0 },
      ]),
    );
    expect(outcome.files.map((file) => file.path)).not.toContain("debug.log");
    const show = (format: string) => git(ws.hostGitDir, "log", "-1", `--format=${format}`, outcome.sha);
    expect(show("%an <%ae>|%cn <%ce>")).toBe(`${bot.name} <${bot.email}>|${bot.name} <${bot.email}>`);
    expect(show("%B")).toBe("Fix the app\n\nCo-authored-by: Mona Lisa <mona@example.com>");
    expect(show("%P")).toBe(remote.mainSha);
  });

  it("ignores hooks and config the model planted in the working tree's .git", async () => {
    await using ws = await create();
    const marker = path.join(root, "hook-ran");
    const hook = path.join(ws.path, ".git", "hooks", "pre-commit");
    writeFileSync(hook, `#!/bin/sh\ntouch ${marker}\n`);
    chmodSync(hook, 0o755);
    git(ws.path, "config", "core.fsmonitor", `touch ${marker}`);
    writeFileSync(path.join(ws.path, "x.txt"), "x\n");
    await commitChanges(ws, { message: "x", author: bot });
    await pushBranch(ws);
    expect((await import("node:fs")).existsSync(marker)).toBe(false);
  });

  it("refuses a bad identity or an empty message", async () => {
    await using ws = await create();
    await expect(commitChanges(ws, { message: " ", author: bot })).rejects.toThrow(/message is empty/);
    await expect(commitChanges(ws, { message: "m", author: { name: "x", email: "no-at" } })).rejects.toThrow(
      /author/,
    );
    await expect(
      commitChanges(ws, { message: "m", author: bot, coAuthors: [{ name: "a\nb", email: "a@b" }] }),
    ).rejects.toThrow(/co-author/);
  });
});

describe("pushBranch", () => {
  it("pushes the task branch and returns the sha and the changed files", async () => {
    await using ws = await create();
    writeFileSync(path.join(ws.path, "src", "app.txt"), "version 2\n");
    const result = await commitAndPush(ws, { message: "Bump", author: bot, coAuthors: [requester] });
    expect(result).toMatchObject({
      status: "pushed",
      branch: "agent/fix-1",
      files: [{ path: "src/app.txt", status: "modified" }],
    });
    if (result.status !== "pushed") return;
    expect(git(remote.path, "rev-parse", "refs/heads/agent/fix-1")).toBe(result.sha);
    expect(git(remote.path, "rev-parse", "refs/heads/main")).toBe(remote.mainSha);
  });

  it("returns nothing-changed from commitAndPush without pushing", async () => {
    await using ws = await create();
    expect((await commitAndPush(ws, { message: "m", author: bot })).status).toBe("nothing-changed");
    expect(git(remote.path, "branch", "--list", "agent/*")).toBe("");
  });

  it("refuses branches outside the prefix, before committing anything", async () => {
    await using ws = await create();
    writeFileSync(path.join(ws.path, "x.txt"), "x\n");
    await expect(commitAndPush(ws, { message: "m", author: bot }, { branch: "main" })).rejects.toThrow(
      /refusing to push to "main": Loopwright pushes only to branches under "agent\/"/,
    );
    await expect(pushBranch(ws, { branch: "agent/../main" })).rejects.toThrow(/not a plain branch name/);
    await expect(pushBranch(ws, { branch: "agent/" })).rejects.toThrow(/refusing to push/);
    expect(git(ws.hostGitDir, "rev-parse", "HEAD")).toBe(remote.mainSha);
  });

  it("force-pushes only a branch this task created", async () => {
    pushCommitTo(remote.path, "agent/existing", "theirs.txt", "theirs\n");
    await using theirs = await create("existing", { kind: "default" });
    expect(theirs.createdBranch).toBe(false);
    writeFileSync(path.join(theirs.path, "x.txt"), "x\n");
    await commitChanges(theirs, { message: "m", author: bot });
    await expect(pushBranch(theirs, { force: true })).rejects.toThrow(
      /refusing to force-push agent\/existing: this task did not create it/,
    );

    await using mine = await create("mine");
    writeFileSync(path.join(mine.path, "a.txt"), "a\n");
    await commitAndPush(mine, { message: "first", author: bot });
    pushCommitTo(remote.path, "agent/mine", "someone.txt", "x\n");
    writeFileSync(path.join(mine.path, "b.txt"), "b\n");
    await commitChanges(mine, { message: "second", author: bot });
    const error = await pushBranch(mine).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PushRejectedError);
    expect((error as PushRejectedError).reason).toBe("non-fast-forward");
    const forced = await pushBranch(mine, { force: true });
    expect(git(remote.path, "rev-parse", "refs/heads/agent/mine")).toBe(forced.sha);
  });

  it("replaces a branch under a lease only while it is still at the leased commit", async () => {
    const ours = pushCommitTo(remote.path, "agent/maintain-x", "ours.txt", "ours\n");
    await using ws = await workspaces.create({
      url: remote.path,
      target: { kind: "default" },
      branch: "maintain-x",
      branchOwned: true,
    });
    writeFileSync(path.join(ws.path, "new.txt"), "new\n");
    await commitChanges(ws, { message: "replace", author: bot });
    // Somebody pushes after the lease was taken: the replacement is refused, their commit kept.
    const theirs = pushCommitTo(remote.path, "agent/maintain-x", "theirs.txt", "theirs\n");
    const refused = await pushBranch(ws, { force: true, lease: ours }).catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(PushRejectedError);
    expect(git(remote.path, "rev-parse", "refs/heads/agent/maintain-x")).toBe(theirs);
    // Leasing the commit it is at now replaces it; an empty lease means "must not exist".
    const replaced = await pushBranch(ws, { force: true, lease: theirs });
    expect(git(remote.path, "rev-parse", "refs/heads/agent/maintain-x")).toBe(replaced.sha);
    writeFileSync(path.join(ws.path, "newer.txt"), "newer\n");
    await commitChanges(ws, { message: "again", author: bot });
    await expect(pushBranch(ws, { force: true, lease: "" })).rejects.toBeInstanceOf(PushRejectedError);
  });

  it("pushes follow-up commits on top of an existing task branch", async () => {
    const previous = pushCommitTo(remote.path, "agent/fix-9", "first.txt", "1\n");
    await using ws = await create("agent/fix-9", { kind: "branch", name: "agent/fix-9" });
    expect(ws.baseSha).toBe(previous);
    writeFileSync(path.join(ws.path, "second.txt"), "2\n");
    const result = await commitAndPush(ws, { message: "follow-up", author: bot });
    expect(result.status === "pushed" && git(remote.path, "rev-parse", `${result.sha}^`)).toBe(previous);
  });

  it("explains a push refused by a server hook, quoting the remote", async () => {
    installHook(remote.path, "pre-receive", 'echo "commits must be signed" >&2; exit 1');
    await using ws = await create();
    writeFileSync(path.join(ws.path, "x.txt"), "x\n");
    const error = (await commitAndPush(ws, { message: "m", author: bot }).catch(
      (caught: unknown) => caught,
    )) as PushRejectedError;
    expect(error).toBeInstanceOf(PushRejectedError);
    expect(error.reason).toBe("rejected");
    expect(error.message).toMatch(/push to agent\/fix-1 of .* was rejected.*commits must be signed/s);
  });

  it("explains a protected branch", async () => {
    installHook(
      remote.path,
      "pre-receive",
      'echo "error: GH006: Protected branch update failed for refs/heads/agent/fix-1." >&2; exit 1',
    );
    await using ws = await create();
    writeFileSync(path.join(ws.path, "x.txt"), "x\n");
    await expect(commitAndPush(ws, { message: "m", author: bot })).rejects.toMatchObject({
      reason: "protected-branch",
      explanation: expect.stringContaining("agent/fix-1 is a protected branch"),
    });
  });

  it("names the workflow files when GitHub refuses workflow changes", async () => {
    installHook(
      remote.path,
      "pre-receive",
      'echo "refusing to allow a GitHub App to create or update workflow \\`.github/workflows/ci.yml\\` without \\`workflows\\` permission" >&2; exit 1',
    );
    await using ws = await create();
    writeFileSync(path.join(ws.path, ".github", "workflows", "ci.yml"), "on: pull_request\n");
    mkdirSync(path.join(ws.path, ".github", "workflows", "nested"), { recursive: true });
    writeFileSync(path.join(ws.path, ".github", "workflows", "release.yml"), "on: release\n");
    const error = (await commitAndPush(ws, { message: "m", author: bot }).catch(
      (caught: unknown) => caught,
    )) as PushRejectedError;
    expect(error.reason).toBe("workflow-permission");
    expect(error.files).toEqual([".github/workflows/ci.yml", ".github/workflows/release.yml"]);
    expect(error.explanation).toContain("`workflows` permission");
  });
});
