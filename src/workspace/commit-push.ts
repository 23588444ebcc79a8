import { GitError, runGit } from "./git.ts";
import { classifyPushRejection, isPushRejection, type PushRejectionReason } from "./push-rejection.ts";
import type { Workspace } from "./workspace.ts";

export type Identity = { name: string; email: string };

export type ChangedFile = {
  path: string;
  status: "added" | "modified" | "deleted" | "renamed" | "copied" | "type-changed";
  /** For renames and copies: where the file came from. */
  from?: string;
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
  | { status: "committed"; sha: string; files: ChangedFile[] };

export type PushRequest = {
  /** Installation token for this push only. */
  token?: string;
  /** Defaults to the workspace's task branch; must be under the workspace's prefix. */
  branch?: string;
  /** Allowed only for the branch this task created. */
  force?: boolean;
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
 * tree's `.git` (hooks, config, filters) takes part.
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
  await git("add", ["--all", "--", "."]);
  const files = parseNameStatus(
    (await git("diff", ["--cached", "--no-ext-diff", "--name-status", "-z", "-M", "HEAD"])).stdout,
  );
  if (files.length === 0) {
    return {
      status: "nothing-changed",
      message: `nothing changed in ${workspace.repository}: no commit was made`,
    };
  }
  const trailers = [...new Map(coAuthors.map((person) => [person.email.toLowerCase(), person])).values()]
    .filter((person) => person.email.toLowerCase() !== author.email.toLowerCase())
    .map((person) => `Co-authored-by: ${person.name} <${person.email}>`);
  const message =
    trailers.length > 0 ? `${request.message.trimEnd()}\n\n${trailers.join("\n")}\n` : request.message;
  await git(
    "commit",
    ["--quiet", "--no-verify", "--cleanup=verbatim", "-m", message],
    [`user.name=${author.name}`, `user.email=${author.email}`],
  );
  const sha = (await git("rev-parse", ["HEAD"])).stdout.trim();
  return { status: "committed", sha, files };
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
  const refspec = `${request.force ? "+" : ""}HEAD:refs/heads/${branch}`;
  try {
    await hostGit(workspace, request.signal, request.token)("push", ["--quiet", workspace.url, refspec]);
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
  | { status: "pushed"; sha: string; branch: string; files: ChangedFile[] }
> {
  const branch = push.branch ?? workspace.branch;
  // Checked before committing so a forbidden push leaves no commit behind.
  assertPushAllowed(workspace, branch, push.force === true);
  const outcome = await commitChanges(workspace, commit);
  if (outcome.status === "nothing-changed") return outcome;
  const pushed = await pushBranch(workspace, push);
  return { status: "pushed", sha: pushed.sha, branch: pushed.branch, files: outcome.files };
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

/**
 * git on the workspace's host git dir with the working tree as its work tree. Hooks are switched
 * off (a global `core.hooksPath` would otherwise run during commit and push, with the token around).
 */
function hostGit(workspace: Workspace, signal: AbortSignal | undefined, token?: string) {
  return (operation: string, args: string[], config: string[] = []) =>
    runGit(
      [
        ...["core.hooksPath=/dev/null", ...config].flatMap((setting) => ["-c", setting]),
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
