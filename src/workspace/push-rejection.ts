/** Turns git's account of a refused push into words a maintainer understands. Pure; no I/O. */

export type PushRejectionReason =
  | "protected-branch"
  | "workflow-permission"
  | "non-fast-forward"
  | "authentication"
  | "rejected";

export type PushRejection = {
  reason: PushRejectionReason;
  /** One or two sentences for a PR comment or a task log. */
  explanation: string;
  /** For `workflow-permission`: the workflow files the push changes. */
  files: string[];
};

const WORKFLOW_FILE = /to create or update workflow `([^`]+)`/g;
const WORKFLOWS_FOLDER = ".github/workflows/";

/**
 * Classifies a rejected push from git's stderr. `changedFiles` (paths the pushed commits change)
 * completes the list of workflow files when GitHub names only the first one.
 *
 * @example
 * classifyPushRejection("remote: error: GH006: Protected branch update failed for refs/heads/main.", "agent/x", []);
 * // { reason: "protected-branch", explanation: "agent/x is a protected branch …", files: [] }
 */
export function classifyPushRejection(stderr: string, branch: string, changedFiles: string[]): PushRejection {
  const named = [...stderr.matchAll(WORKFLOW_FILE)].map((match) => match[1] ?? "");
  if (named.length > 0 || /without `?workflows?`? (scope|permission)/i.test(stderr)) {
    const files = [
      ...new Set([...named, ...changedFiles.filter((file) => file.startsWith(WORKFLOWS_FOLDER))]),
    ]
      .filter(Boolean)
      .sort();
    return {
      reason: "workflow-permission",
      files,
      explanation:
        `GitHub refused the push to ${branch} because it changes workflow files (${files.join(", ") || WORKFLOWS_FOLDER}). ` +
        "Changing .github/workflows/ needs the `workflows` permission, which this app deliberately does not ask for; " +
        "ask for the change without touching workflow files, or make that part of it by hand.",
    };
  }
  if (/GH006|protected branch/i.test(stderr)) {
    return {
      reason: "protected-branch",
      files: [],
      explanation: `${branch} is a protected branch on GitHub, and its protection rules do not let this app push to it.`,
    };
  }
  if (
    /Authentication failed|Invalid username or password|could not read Username|terminal prompts disabled|Permission to \S+ denied|The requested URL returned error: 40[13]|HTTP Basic: Access denied/i.test(
      stderr,
    )
  ) {
    return {
      reason: "authentication",
      files: [],
      explanation:
        "GitHub did not accept the app's credentials for this push: the installation token may have expired, " +
        "or the app lacks write access (Contents: read and write) to this repository.",
    };
  }
  if (/non-fast-forward|\(fetch first\)|Updates were rejected because the (tip|remote)/i.test(stderr)) {
    return {
      reason: "non-fast-forward",
      files: [],
      explanation:
        `${branch} changed on GitHub since this task started (someone else pushed to it), so pushing would ` +
        "overwrite their commits.",
    };
  }
  const remoteLines = stderr
    .split("\n")
    .filter((line) => /^remote:|\[remote rejected\]|\[rejected\]/.test(line.trim()))
    .map((line) => line.trim())
    .join(" ");
  return {
    reason: "rejected",
    files: [],
    explanation: `the repository refused the push to ${branch}${remoteLines ? `: ${remoteLines}` : "."}`,
  };
}

/**
 * Whether git's stderr describes a push the remote (or git) refused, as opposed to a failure to
 * reach the remote at all.
 *
 * @example
 * isPushRejection(" ! [remote rejected] agent/x -> agent/x (pre-receive hook declined)"); // true
 */
export function isPushRejection(stderr: string): boolean {
  return /\[(remote )?rejected\]|GH006|Authentication failed|could not read Username|returned error: 40[13]|Permission to \S+ denied|Invalid username or password/i.test(
    stderr,
  );
}
