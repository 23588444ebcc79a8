import { redactSecrets } from "../redact.ts";
import { parseNumstat } from "./diffstat.ts";
import { GitError, type GitResult, runGit } from "./git.ts";
import { retryTransientGit } from "./git-retry.ts";
import { classifyPushRejection, isPushRejection, type PushRejectionReason } from "./push-rejection.ts";
import type { Workspace } from "./workspace.ts";

export type Identity = { name: string; email: string };

export type ChangedFile = {
  path: string;
  status: "added" | "modified" | "deleted" | "renamed" | "copied" | "type-changed";
  /** For renames and copies: where the file came from. */
  from?: string;
  /** Lines added and removed (null for a binary file), for a diffstat. */
  added?: number | null;
  removed?: number | null;
};

export type CommitRequest = {
  message: string;
  /** The app's bot identity, e.g. `loopwright[bot] <123+loopwright[bot]@users.noreply.github.com>`. */
  author: Identity;
  /** The people who asked for the change; each gets a `Co-authored-by:` trailer. */
  coAuthors?: Identity[];
  signal?: AbortSignal;
};

export type CommitOutcome =
  | { status: "nothing-changed"; message: string }
  | {
      status: "committed";
      sha: string;
      files: ChangedFile[];
      /** Folders holding a repository of their own, left out of the commit (see `commitChanges`). */
      skippedRepositories: string[];
    };

export type PushRequest = {
  /** Installation token for this push only. */
  token?: string;
  /** Defaults to the workspace's task branch; must be under the workspace's prefix. */
  branch?: string;
  /** Allowed only for the branch this task created. */
  force?: boolean;
  /**
   * With `force`: the commit the remote branch must still be at (empty: the branch must not exist),
   * else the push is refused — so replacing a branch never drops a commit somebody pushed meanwhile.
   */
  lease?: string;
  signal?: AbortSignal;
};

export type PushOutcome = { branch: string; sha: string };

/** A push the remote refused, with the reason in a maintainer's words. */
export class PushRejectedError extends Error {
  readonly reason: PushRejectionReason;
  readonly explanation: string;
  /** For `workflow-permission`: the workflow files the push changes. */
  readonly files: string[];
  readonly branch: string;
  constructor(
    reason: PushRejectionReason,
    explanation: string,
    files: string[],
    branch: string,
    cause: GitError,
  ) {
    super(`push to ${branch} of ${cause.repository} was rejected (${reason}): ${explanation}`, { cause });
    this.name = "PushRejectedError";
    this.reason = reason;
    this.explanation = explanation;
    this.files = files;
    this.branch = branch;
  }
}

const STATUS: Record<string, ChangedFile["status"]> = {
  A: "added",
  M: "modified",
  D: "deleted",
  R: "renamed",
  C: "copied",
  T: "type-changed",
};

/**
 * Stages everything changed in the working tree (additions, edits, deletions; `.gitignore` is
 * honoured) and commits it on the task branch as `author`, with a `Co-authored-by:` trailer per
 * co-author. Runs through the workspace's host git dir, so nothing the model did to the working
 * tree's `.git` (hooks, config, filters, `core.worktree`) takes part.
 *
 * Nested repositories are skipped, not added as gitlinks: a folder of the tree with its own `.git`
 * (a folder, or a `gitdir:` file pointing anywhere on the host) is left out of the commit and named
 * in `skippedRepositories`, and submodule pointers stay as the base commit has them. Staging a
 * gitlink makes git run `git status` inside that repository, on its own config (fsmonitor, filter
 * drivers), and would record a commit the remote does not have.
 *
 * @example
 * const outcome = await commitChanges(ws, { message: "Fix the date parser", author: bot, coAuthors: [requester] });
 * if (outcome.status === "nothing-changed") console.log(outcome.message);
 * @throws Error for a bad identity or empty message; GitError when git fails
 */
export async function commitChanges(workspace: Workspace, request: CommitRequest): Promise<CommitOutcome> {
  const author = checkIdentity(request.author, "author");
  const coAuthors = (request.coAuthors ?? []).map((person) => checkIdentity(person, "co-author"));
  if (typeof request.message !== "string" || request.message.trim() === "")
    throw new Error("commit message is empty");
  const git = hostGit(workspace, request.signal);

  // A fresh index from the last commit makes each commit an exact snapshot of the working tree.
  await git("read-tree", ["HEAD"]);
  const submodules = await submodulePaths(git);
  const skippedRepositories = await untrackedRepositories(git);
  const excluded = [...submodules, ...skippedRepositories].map((folder) => `:(exclude,literal)${folder}`);
  await git("add", ["--all", "--", ".", ...excluded]);
  const files = parseNameStatus(
    (await git("diff", ["--cached", "--no-ext-diff", "--name-status", "-z", "-M", "HEAD"])).stdout,
  );
  if (files.length === 0) {
    const skipped =
      skippedRepositories.length === 0
        ? ""
        : ` (left out nested repositories: ${skippedRepositories.join(", ")})`;
    return {
      status: "nothing-changed",
      message: `nothing changed in ${workspace.repository}: no commit was made${skipped}`,
    };
  }
  const lines = parseNumstat(
    (await git("diff", ["--cached", "--no-ext-diff", "--numstat", "-z", "-M", "HEAD"])).stdout,
  );
  for (const file of files) {
    const stat = lines.find((candidate) => candidate.path === file.path);
    if (stat) Object.assign(file, { added: stat.added, removed: stat.removed });
  }
  const trailers = [...new Map(coAuthors.map((person) => [person.email.toLowerCase(), person])).values()]
    .filter((person) => person.email.toLowerCase() !== author.email.toLowerCase())
    .map((person) => `Co-authored-by: ${person.name} <${person.email}>`);
  // The message holds the model's words, which may quote a token a command printed.
  const said = redactSecrets(request.message);
  const message = trailers.length > 0 ? `${said.trimEnd()}\n\n${trailers.join("\n")}\n` : said;
  await git(
    "commit",
    ["--quiet", "--no-verify", "--cleanup=verbatim", "-m", message],
    [`user.name=${author.name}`, `user.email=${author.email}`],
  );
  const sha = (await git("rev-parse", ["HEAD"])).stdout.trim();
  return { status: "committed", sha, files, skippedRepositories };
}

/**
 * Pushes the task branch's commits to the repository. Refuses branches outside the workspace's
 * prefix and force-pushes to a branch this task did not create; a refused push becomes a
 * `PushRejectedError` saying why (protected branch, workflow files, non-fast-forward, credentials).
 *
 * @example
 * const { sha } = await pushBranch(ws, { token });
 * @throws Error for a branch outside the prefix or a forbidden force-push; PushRejectedError; GitError
 */
export async function pushBranch(workspace: Workspace, request: PushRequest = {}): Promise<PushOutcome> {
  const branch = request.branch ?? workspace.branch;
  assertPushAllowed(workspace, branch, request.force === true);
  const git = hostGit(workspace, request.signal);
  const sha = (await git("rev-parse", ["HEAD"])).stdout.trim();
  const leased = request.force === true && request.lease !== undefined;
  const refspec = `${request.force && !leased ? "+" : ""}HEAD:refs/heads/${branch}`;
  const lease = leased ? [`--force-with-lease=refs/heads/${branch}:${request.lease}`] : [];
  try {
    // GitHub's git endpoint fails now and then (a 502, a reset): such a push is tried again.
    await retryTransientGit(
      () =>
        hostGit(
          workspace,
          request.signal,
          request.token,
        )("push", ["--quiet", ...lease, workspace.url, refspec]),
      { signal: request.signal },
    );
  } catch (error) {
    if (!(error instanceof GitError) || !isPushRejection(error.stderr)) throw error;
    const changed = await changedSinceBase(workspace, request.signal);
    const rejection = classifyPushRejection(error.stderr, branch, changed);
    throw new PushRejectedError(rejection.reason, rejection.explanation, rejection.files, branch, error);
  }
  return { branch, sha };
}

/**
 * Commits everything changed and pushes the task branch; "nothing changed" is an outcome, not an error.
 *
 * @example
 * const result = await commitAndPush(ws, { message, author: bot, coAuthors: [requester] }, { token });
 * if (result.status === "pushed") await openPullRequest(result.branch, result.sha);
 * @throws as commitChanges and pushBranch
 */
export async function commitAndPush(
  workspace: Workspace,
  commit: CommitRequest,
  push: PushRequest = {},
): Promise<
  | { status: "nothing-changed"; message: string }
  | { status: "pushed"; sha: string; branch: string; files: ChangedFile[]; skippedRepositories: string[] }
> {
  const branch = push.branch ?? workspace.branch;
  // Checked before committing so a forbidden push leaves no commit behind.
  assertPushAllowed(workspace, branch, push.force === true);
  const outcome = await commitChanges(workspace, commit);
  if (outcome.status === "nothing-changed") return outcome;
  const pushed = await pushBranch(workspace, push);
  return {
    status: "pushed",
    sha: pushed.sha,
    branch: pushed.branch,
    files: outcome.files,
    skippedRepositories: outcome.skippedRepositories,
  };
}

function assertPushAllowed(workspace: Workspace, branch: string, force: boolean): void {
  if (
    typeof branch !== "string" ||
    !branch.startsWith(workspace.branchPrefix) ||
    branch === workspace.branchPrefix
  ) {
    throw new Error(
      `refusing to push to ${JSON.stringify(branch)}: Loopwright pushes only to branches under "${workspace.branchPrefix}"`,
    );
  }
  if (/[\s~^:?*[\\]|\.\.|@\{|^refs\//.test(branch)) {
    throw new Error(`refusing to push to ${JSON.stringify(branch)}: not a plain branch name`);
  }
  if (force && !(branch === workspace.branch && workspace.createdBranch)) {
    throw new Error(
      `refusing to force-push ${branch}: this task did not create it, so its history may hold someone else's commits`,
    );
  }
}

type HostGit = (operation: string, args: string[], config?: string[]) => Promise<GitResult>;

/**
 * git on the workspace's host git dir with the working tree as its work tree: the tree's own `.git`
 * is never read (`--git-dir` means no discovery). runGit already keeps every config but host.git's
 * out and switches hooks and helpers off. The tree may belong to the sandbox's uid, so it and the
 * host git dir are trusted by exact path (`safe.directory`, never `*`). host.git is thrown away
 * with the workspace, so no automatic maintenance runs in it.
 */
function hostGit(workspace: Workspace, signal: AbortSignal | undefined, token?: string): HostGit {
  const settings = [
    `safe.directory=${workspace.path}`,
    `safe.directory=${workspace.hostGitDir}`,
    "maintenance.auto=false",
  ];
  return (operation, args, config = []) =>
    runGit(
      [
        ...[...settings, ...config].flatMap((setting) => ["-c", setting]),
        "--git-dir",
        workspace.hostGitDir,
        "--work-tree",
        workspace.path,
        operation,
        ...args,
      ],
      { operation, repository: workspace.repository, cwd: workspace.path, signal, token },
    );
}

/** Paths of the submodules (gitlinks) in the index. */
async function submodulePaths(git: HostGit): Promise<string[]> {
  const entries = (await git("ls-files", ["--stage", "-z"])).stdout.split("\0");
  return entries
    .filter((entry) => entry.startsWith("160000 "))
    .map((entry) => entry.slice(entry.indexOf("\t") + 1));
}

/**
 * Untracked folders holding a repository of their own. Listing untracked files reads nothing of
 * such a repository but whether its `.git` is one; git lists it as the folder, with a slash.
 */
async function untrackedRepositories(git: HostGit): Promise<string[]> {
  const entries = (await git("ls-files", ["--others", "--exclude-standard", "-z"])).stdout.split("\0");
  return entries.filter((entry) => entry.endsWith("/")).map((entry) => entry.slice(0, -1));
}

async function changedSinceBase(workspace: Workspace, signal: AbortSignal | undefined): Promise<string[]> {
  const { stdout } = await hostGit(workspace, signal)("diff", [
    "--no-ext-diff",
    "--name-only",
    "-z",
    workspace.baseSha,
    "HEAD",
  ]);
  return stdout.split("\0").filter(Boolean);
}

function parseNameStatus(output: string): ChangedFile[] {
  const fields = output.split("\0").filter((field) => field !== "");
  const files: ChangedFile[] = [];
  for (let index = 0; index < fields.length; ) {
    const code = fields[index++] ?? "";
    const status = STATUS[code[0] ?? ""] ?? "modified";
    if (status === "renamed" || status === "copied") {
      const from = fields[index++] ?? "";
      files.push({ path: fields[index++] ?? "", status, from });
    } else {
      files.push({ path: fields[index++] ?? "", status });
    }
  }
  return files;
}

function checkIdentity(person: Identity, role: string): Identity {
  const bad = (text: unknown) => typeof text !== "string" || text.trim() === "" || /[<>\n\r\0]/.test(text);
  if (!person || bad(person.name) || bad(person.email) || !person.email.includes("@")) {
    throw new Error(`${role} must have a name and an email address without <, > or line breaks`);
  }
  return { name: person.name.trim(), email: person.email.trim() };
}
