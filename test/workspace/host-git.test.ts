import { execFileSync } from "node:child_process";
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  readdirSync,
  rmdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { commitChanges, pushBranch } from "../../src/workspace/commit-push.ts";
import { GitError, runGit } from "../../src/workspace/git.ts";
import { type Workspace, Workspaces } from "../../src/workspace/workspace.ts";
import { createRemote, git, removeDir, type TestRemote, tempDir } from "./helpers/git-repos.ts";

// Host git must honour nothing a home directory, the workspace's `.git`, a repository nested in the
// tree or the server's environment can set. Every hostile setting below runs `mark <name>`, which
// leaves a file in `markers`; each test first shows (where it can) that plain git does run them.

const bot = { name: "loopwright[bot]", email: "1+loopwright[bot]@users.noreply.github.com" };
const FAKE_TOKEN = "ghs_FakeInstallationToken000000000000000";
const HOOKS = [
  "pre-commit",
  "prepare-commit-msg",
  "commit-msg",
  "post-commit",
  "pre-push",
  "post-checkout",
  "post-index-change",
  "reference-transaction",
  "pre-auto-gc",
];

let root: string;
let remote: TestRemote;
/** An empty bare repository that every redirect would point at. */
let attacker: string;
let markers: string;
/** A script that records that it ran: `mark <name>` creates `markers/<name>`. */
let mark: string;
let hooks: string;
let workspaces: Workspaces;

beforeEach(async () => {
  root = tempDir("hostgit");
  remote = createRemote(root);
  attacker = path.join(root, "attacker.git");
  git(root, "init", "--bare", "--quiet", attacker);
  markers = path.join(root, "markers");
  mkdirSync(markers);
  mark = path.join(root, "mark");
  writeExecutable(mark, `touch "${markers}/$1"`);
  hooks = path.join(root, "hooks");
  mkdirSync(hooks);
  for (const hook of HOOKS) writeExecutable(path.join(hooks, hook), `${mark} hook-${hook}`);
  workspaces = await Workspaces.open({
    dataDir: path.join(root, "data"),
    cacheMaxBytes: 2 ** 30,
    spareTrees: 0,
  });
});
afterEach(() => removeDir(root));

function writeExecutable(file: string, script: string): void {
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
}

/** A git config in which every feature that can run a program or redirect a URL is set. */
function hostileConfig(label: string): string {
  const run = (what: string) => `${mark} ${label}-${what}`;
  return `
[core]
	fsmonitor = ${run("fsmonitor")}
	hooksPath = ${hooks}
	sshCommand = ${run("ssh")}
	askPass = ${run("askpass")}
	editor = ${run("editor")}
	pager = ${run("pager")}
[credential]
	helper = !${run("credential")}
[filter "x"]
	clean = ${run("filter-clean")}
	smudge = ${run("filter-smudge")}
	process = ${run("filter-process")}
	required = true
[diff "x"]
	textconv = ${run("textconv")}
	command = ${run("diff-command")}
[diff]
	external = ${run("diff-external")}
[merge "x"]
	driver = ${run("merge-driver")}
[commit]
	gpgSign = true
[gpg]
	program = ${run("gpg")}
[protocol]
	allow = always
[url "${attacker}"]
	insteadOf = ${remote.path}
	pushInsteadOf = ${remote.path}
`;
}

const ATTRIBUTES = "* filter=x diff=x merge=x\n";

function markersFired(): string[] {
  return readdirSync(markers).sort();
}

/** Runs git with exactly `env` (plus PATH), ignoring its exit code: for showing a setup is hostile. */
function plainGit(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): void {
  try {
    execFileSync("git", args, { cwd, env: { PATH: process.env.PATH, ...env }, stdio: "ignore" });
  } catch {
    // Hostile hooks and filters may make it fail; only what ran matters.
  }
}

/** Checks that `run` makes plain git run something hostile, then forgets the markers. */
function expectHostile(run: () => void): void {
  run();
  expect(markersFired()).not.toEqual([]);
  for (const marker of readdirSync(markers)) rmSync(path.join(markers, marker));
}

/** Commits a change to src/app.txt and pushes it with a (fake) token; returns the pushed sha. */
async function commitAndPushChange(ws: Workspace): Promise<string> {
  writeFileSync(path.join(ws.path, "src", "app.txt"), "version 2\n");
  const outcome = await commitChanges(ws, { message: "Change the app", author: bot });
  expect(outcome.status).toBe("committed");
  const { sha } = await pushBranch(ws, { token: FAKE_TOKEN });
  return sha;
}

function expectLandedOnRealRemote(ws: Workspace, sha: string): void {
  expect(git(remote.path, "rev-parse", `refs/heads/${ws.branch}`)).toBe(sha);
  expect(git(attacker, "for-each-ref")).toBe("");
}

function filesOf(sha: string): string[] {
  return git(remote.path, "ls-tree", "-r", "--name-only", sha).split("\n").sort();
}

function setEnv(values: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  Object.assign(process.env, values);
  return () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

describe("host-side git", { timeout: 240_000 }, () => {
  it("reads only its own command-line settings, and outside any repository unless told where", async () => {
    const restore = setEnv({ HOME: root, XDG_CONFIG_HOME: root });
    writeFileSync(path.join(root, ".gitconfig"), hostileConfig("home"));
    try {
      const { stdout } = await runGit(["config", "--list", "--show-scope"], {
        operation: "config",
        repository: "-",
      });
      const fromFiles = stdout.split("\n").filter((line) => line !== "" && !line.startsWith("command\t"));
      expect(fromFiles).toEqual([]);
      expect(stdout).toContain("core.hookspath=/dev/null");
      expect(stdout).toContain("protocol.allow=never");
      // The test runner's own folder is a repository; git must not find it.
      const error = await runGit(["rev-parse", "--git-dir"], {
        operation: "rev-parse",
        repository: "-",
      }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(GitError);
    } finally {
      restore();
    }
  });

  it("ignores a hostile ~/.gitconfig, ~/.config/git and what they include", async () => {
    const home = path.join(root, "home");
    const xdg = path.join(root, "xdg");
    mkdirSync(path.join(xdg, "git"), { recursive: true });
    const more = path.join(home, "more.gitconfig");
    mkdirSync(home);
    writeFileSync(more, hostileConfig("include"));
    writeFileSync(
      path.join(home, ".gitconfig"),
      `${hostileConfig("home")}\n[include]\n\tpath = ${more}\n[includeIf "gitdir:/"]\n\tpath = ${more}\n`,
    );
    writeFileSync(path.join(xdg, "git", "config"), hostileConfig("xdg"));
    writeFileSync(path.join(xdg, "git", "attributes"), ATTRIBUTES);
    const restore = setEnv({ HOME: home, XDG_CONFIG_HOME: xdg });
    try {
      await using ws = await workspaces.create({
        url: remote.path,
        target: { kind: "default" },
        branch: "home",
      });
      expectHostile(() => plainGit(ws.path, { HOME: home, XDG_CONFIG_HOME: xdg }, "status"));
      const sha = await commitAndPushChange(ws);
      expectLandedOnRealRemote(ws, sha);
    } finally {
      restore();
    }
    expect(markersFired()).toEqual([]);
  });

  it("ignores config, hooks and attributes the model wrote into the workspace's .git", async () => {
    await using ws = await workspaces.create({
      url: remote.path,
      target: { kind: "default" },
      branch: "dotgit",
    });
    const dotGit = path.join(ws.path, ".git");
    appendFileSync(path.join(dotGit, "config"), hostileConfig("workspace"));
    for (const hook of HOOKS) writeExecutable(path.join(dotGit, "hooks", hook), `${mark} workspace-${hook}`);
    writeFileSync(path.join(dotGit, "info", "attributes"), ATTRIBUTES);
    writeFileSync(path.join(ws.path, ".gitattributes"), ATTRIBUTES);
    writeFileSync(path.join(ws.path, "added.txt"), "added\n");
    expectHostile(() => plainGit(ws.path, { GIT_CONFIG_GLOBAL: "/dev/null" }, "status"));
    // Set last: from now on plain git in the tree would take all of / as its work tree.
    appendFileSync(path.join(dotGit, "config"), "[core]\n\tworktree = /\n");

    const sha = await commitAndPushChange(ws);

    expectLandedOnRealRemote(ws, sha);
    expect(filesOf(sha)).toEqual(
      [".gitattributes", ".github/workflows/ci.yml", "README.md", "added.txt", "src/app.txt"].sort(),
    );
    expect(markersFired()).toEqual([]);
  });

  it("skips repositories nested in the tree without running anything of theirs", async () => {
    // A submodule of the base commit, which the model checked out and made dirty in place.
    const dependency = path.join(root, "dependency");
    mkdirSync(dependency);
    git(dependency, "init", "--quiet");
    writeFileSync(path.join(dependency, "lib.txt"), "aaaa\n");
    writeFileSync(path.join(dependency, ".gitattributes"), ATTRIBUTES);
    git(dependency, "add", "-A");
    git(dependency, "commit", "--quiet", "-m", "lib");
    const dependencySha = git(dependency, "rev-parse", "HEAD");
    pushSubmoduleCommit("with-submodule", "modules/dep", dependencySha);
    // Another repository on the host, which a `gitdir:` file in the tree points at.
    const other = path.join(root, "other");
    mkdirSync(other);
    git(other, "init", "--quiet");
    writeFileSync(path.join(other, "secret.txt"), "secret\n");
    git(other, "add", "-A");
    git(other, "commit", "--quiet", "-m", "secret");
    appendFileSync(path.join(other, ".git", "config"), hostileConfig("other"));

    await using ws = await workspaces.create({
      url: remote.path,
      target: { kind: "branch", name: "with-submodule" },
      branch: "nested",
    });
    const submodule = path.join(ws.path, "modules", "dep");
    rmdirSync(submodule);
    git(ws.path, "clone", "--quiet", dependency, submodule);
    appendFileSync(path.join(submodule, ".git", "config"), hostileConfig("submodule"));
    // Same size, new time: git must read the file, through the clean filter, to tell it changed.
    writeFileSync(path.join(submodule, "lib.txt"), "bbbb\n");
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(submodule, "lib.txt"), later, later);
    expectHostile(() =>
      plainGit(submodule, { GIT_CONFIG_GLOBAL: "/dev/null" }, "-c", "core.fsmonitor=false", "status"),
    );

    const vendored = path.join(ws.path, "vendor", "lib");
    mkdirSync(vendored, { recursive: true });
    git(vendored, "init", "--quiet");
    writeFileSync(path.join(vendored, "vendored.txt"), "vendored\n");
    writeFileSync(path.join(vendored, ".gitattributes"), ATTRIBUTES);
    git(vendored, "add", "-A");
    git(vendored, "commit", "--quiet", "-m", "vendored");
    appendFileSync(path.join(vendored, ".git", "config"), hostileConfig("vendored"));
    const empty = path.join(ws.path, "empty-repo");
    mkdirSync(empty);
    git(empty, "init", "--quiet");
    appendFileSync(path.join(empty, ".git", "config"), hostileConfig("empty"));
    mkdirSync(path.join(ws.path, "linked"));
    writeFileSync(path.join(ws.path, "linked", ".git"), `gitdir: ${path.join(other, ".git")}\n`);
    writeFileSync(path.join(ws.path, "linked", "visible.txt"), "visible\n");
    writeFileSync(path.join(ws.path, "src", "app.txt"), "version 2\n");

    const outcome = await commitChanges(ws, { message: "Change the app", author: bot });
    expect(outcome).toMatchObject({
      status: "committed",
      files: [{ path: "src/app.txt", status: "modified" }],
    });
    expect(outcome.status === "committed" && outcome.skippedRepositories.sort()).toEqual([
      "empty-repo",
      "linked",
      "vendor/lib",
    ]);
    const { sha } = await pushBranch(ws, { token: FAKE_TOKEN });

    expectLandedOnRealRemote(ws, sha);
    expect(filesOf(sha)).toEqual(
      [".github/workflows/ci.yml", "README.md", "modules/dep", "src/app.txt"].sort(),
    );
    expect(git(remote.path, "rev-parse", `${sha}:modules/dep`)).toBe(dependencySha);
    expect(markersFired()).toEqual([]);
  });

  it("ignores GIT_* variables an attacker set in the server's environment", async () => {
    const globalConfig = path.join(root, "global.gitconfig");
    writeFileSync(globalConfig, hostileConfig("global"));
    const execPath = path.join(root, "exec-path");
    mkdirSync(execPath);
    for (const program of ["git-receive-pack", "git-upload-pack", "git-remote-https", "git-remote-http"]) {
      writeExecutable(path.join(execPath, program), `${mark} exec-path-${program}; exit 1`);
    }
    const restore = setEnv({
      GIT_DIR: attacker,
      GIT_WORK_TREE: "/",
      GIT_INDEX_FILE: path.join(root, "planted-index"),
      GIT_CONFIG_GLOBAL: globalConfig,
      GIT_CONFIG_SYSTEM: globalConfig,
      GIT_CONFIG_PARAMETERS: `'core.fsmonitor'='${mark} parameters-fsmonitor' 'core.hookspath'='${hooks}'`,
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: `url.${attacker}.pushInsteadOf`,
      GIT_CONFIG_VALUE_0: remote.path,
      GIT_EXEC_PATH: execPath,
      GIT_EXTERNAL_DIFF: `${mark} external-diff`,
      GIT_ASKPASS: `${mark} askpass`,
      GIT_SSH_COMMAND: `${mark} ssh`,
    });
    try {
      await using ws = await workspaces.create({
        url: remote.path,
        target: { kind: "default" },
        branch: "env",
      });
      const sha = await commitAndPushChange(ws);
      expectLandedOnRealRemote(ws, sha);
    } finally {
      restore();
    }
    expect(markersFired()).toEqual([]);
  });

  const isRoot = process.getuid?.() === 0;
  it.skipIf(!isRoot)("commits and pushes a tree owned by another uid (needs root to chown)", async () => {
    await using ws = await workspaces.create({
      url: remote.path,
      target: { kind: "default" },
      branch: "chowned",
    });
    writeFileSync(path.join(ws.path, "added.txt"), "added\n");
    execFileSync("chown", ["-R", "1600000123:1600000123", ws.path]);
    expect(statSync(ws.path).uid).toBe(1600000123);

    const sha = await commitAndPushChange(ws);

    expectLandedOnRealRemote(ws, sha);
    expect(filesOf(sha)).toContain("added.txt");
  });
});

/** Pushes a commit on top of main that adds a submodule (gitlink) at `folder`. */
function pushSubmoduleCommit(branch: string, folder: string, sha: string): void {
  const seed = path.join(root, "seed");
  git(root, "clone", "--quiet", remote.path, seed);
  git(seed, "update-index", "--add", "--cacheinfo", `160000,${sha},${folder}`);
  git(seed, "commit", "--quiet", "-m", "add a submodule");
  git(seed, "push", "--quiet", "origin", `HEAD:refs/heads/${branch}`);
  removeDir(seed);
}
