import { execFileSync } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";

/** An environment for test-side git: no user config, fixed identity, nothing inherited from a hook. */
export function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("GIT_")) env[key] = value;
  return {
    ...env,
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_NAME: "Dev",
    GIT_AUTHOR_EMAIL: "dev@example.com",
    GIT_COMMITTER_NAME: "Dev",
    GIT_COMMITTER_EMAIL: "dev@example.com",
  };
}

/** Runs git synchronously in `cwd` and returns its trimmed stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    env: gitEnv(),
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `lw-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export type TestRemote = {
  /** The bare repository (usable as URL: an absolute path). */
  path: string;
  mainSha: string;
  featureSha: string;
  /** Head of pull request #3: a commit reachable only through refs/pull/3/head. */
  pullSha: string;
};

/**
 * A bare "GitHub" repository: `main` (README, src/app.txt, a workflow), `feature` one commit ahead,
 * and `refs/pull/3/head` pointing at a commit on no branch, as GitHub keeps fork PR heads.
 */
export function createRemote(root: string, name = "remote.git"): TestRemote {
  const seed = path.join(root, `${name}-seed`);
  const bare = path.join(root, name);
  mkdirSync(seed, { recursive: true });
  git(seed, "init", "--quiet", "--initial-branch=main");
  writeFileSync(path.join(seed, "README.md"), "# demo\n");
  mkdirSync(path.join(seed, "src"));
  writeFileSync(path.join(seed, "src", "app.txt"), "version 1\n");
  mkdirSync(path.join(seed, ".github", "workflows"), { recursive: true });
  writeFileSync(path.join(seed, ".github", "workflows", "ci.yml"), "on: push\n");
  git(seed, "add", "-A");
  git(seed, "commit", "--quiet", "-m", "initial");
  const mainSha = git(seed, "rev-parse", "HEAD");
  git(seed, "checkout", "--quiet", "-b", "feature");
  writeFileSync(path.join(seed, "feature.txt"), "feature\n");
  git(seed, "add", "-A");
  git(seed, "commit", "--quiet", "-m", "feature work");
  const featureSha = git(seed, "rev-parse", "HEAD");
  git(seed, "checkout", "--quiet", "--detach", "main");
  writeFileSync(path.join(seed, "pull.txt"), "from a fork\n");
  git(seed, "add", "-A");
  git(seed, "commit", "--quiet", "-m", "fork change");
  const pullSha = git(seed, "rev-parse", "HEAD");
  git(seed, "checkout", "--quiet", "main");
  git(root, "clone", "--bare", "--quiet", seed, bare);
  git(bare, "update-ref", "refs/pull/3/head", pullSha);
  removeDir(seed);
  return { path: bare, mainSha, featureSha, pullSha };
}

/** Adds a commit to `branch` of a bare repository (someone else pushing). Returns its sha. */
export function pushCommitTo(remote: string, branch: string, file: string, text: string): string {
  const clone = tempDir("pusher");
  try {
    git(clone, "clone", "--quiet", remote, "work");
    const work = path.join(clone, "work");
    const exists = git(work, "ls-remote", "--heads", "origin", branch) !== "";
    git(work, "checkout", "--quiet", ...(exists ? [branch] : ["-b", branch]));
    writeFileSync(path.join(work, file), text);
    git(work, "add", "-A");
    git(work, "commit", "--quiet", "-m", `change ${file}`);
    git(work, "push", "--quiet", "origin", `HEAD:refs/heads/${branch}`);
    return git(work, "rev-parse", "HEAD");
  } finally {
    removeDir(clone);
  }
}

/** Installs an executable hook (e.g. pre-receive) in a bare repository. */
export function installHook(remote: string, name: string, script: string): void {
  const file = path.join(remote, "hooks", name);
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
}

/** Every regular file under `root` whose bytes contain `needle`, as paths relative to `root`. */
export function filesContaining(root: string, needle: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && statSync(full).size < 64 * 2 ** 20 && readFileSync(full).includes(needle)) {
        found.push(path.relative(root, full));
      }
    }
  };
  walk(root);
  return found;
}
