import { readdir } from "node:fs/promises";
import type { WorkspaceFiles } from "../agent/workspace-files.ts";
import type { RepoConfig } from "../config/repo-config.ts";
import type { AgentSessionDependencies, SetupResult } from "../tasks/agent-session.ts";
import { sessionLimits } from "../tasks/agent-session.ts";
import { defaultAllowedHosts } from "../workspace/network-policy.ts";
import { createSandbox, type Sandbox } from "../workspace/sandbox.ts";
import { DEFAULT_BRANCH_PREFIX } from "../workspace/workspace.ts";

/** A file's new contents, or null to delete it. */
export type FileChange = { path: string; content: string | null };

/** A workspace where tests run: its root, its sandbox, and what the setup command did. */
export type TestWorkspace = { path: string; sandbox: Sandbox; setup: SetupResult | undefined };

/**
 * Runs `work` in a fresh workspace of `url` at commit `sha`, inside the sandbox a task of this
 * repository gets (limits, environment, setup command with the gated network; the tests themselves
 * without network), the way `runAgentSession` sets one up for the agent. Workspace and sandbox are
 * removed afterwards, whatever happens.
 *
 * @example
 * const run = await withTestWorkspace(deps, { url, sha, branch: "eval-score-7", config, signal }, (ws) =>
 *   runTests(ws.sandbox, ws.path, "npm test", { signal }));
 */
export async function withTestWorkspace<T>(
  deps: AgentSessionDependencies,
  request: { url: string; sha: string; branch: string; config: RepoConfig; signal: AbortSignal },
  work: (workspace: TestWorkspace) => Promise<T>,
): Promise<T> {
  const limits = sessionLimits(request.config).sandbox;
  await using workspace = await deps.workspaces.create({
    url: request.url,
    target: { kind: "commit", sha: request.sha },
    branch: request.branch,
    branchPrefix: DEFAULT_BRANCH_PREFIX,
    signal: request.signal,
  });
  await using sandbox = await createSandbox({
    mode: deps.settings.sandbox,
    workspace: workspace.path,
    workspaceOwnership: "keep",
    network: false,
    allowedHosts: limits.allowedHosts?.length
      ? limits.allowedHosts
      : defaultAllowedHosts(await readdir(workspace.path)),
    env: limits.env,
    readOnlyPaths: [workspace.sharedObjects],
    limits: {
      ...(limits.fileBytes && { fileBytes: limits.fileBytes }),
      ...(limits.diskBytes && { diskBytes: limits.diskBytes }),
    },
    log: deps.log,
  });
  let setup: SetupResult | undefined;
  if (limits.setup) {
    const result = await sandbox.setup(limits.setup, { signal: request.signal });
    setup = {
      command: limits.setup,
      exitCode: result.exitCode,
      output: result.output,
      durationMs: result.durationMs,
    };
  }
  return await work({ path: workspace.path, sandbox, setup });
}

/**
 * Writes files into a workspace through its sandboxed file access (a symlink the agent left cannot
 * lead the write outside), deleting those whose content is null.
 *
 * @example
 * await writeFiles(sandbox.files, workspace.path, [{ path: "test/sum.test.js", content: "…" }]);
 */
export async function writeFiles(
  files: WorkspaceFiles,
  root: string,
  changes: readonly FileChange[],
): Promise<void> {
  for (const change of changes) {
    const target = `${root}/${change.path}`;
    if (change.content !== null) await files.writeFile(target, change.content);
    else if (await files.stat(target)) await files.removeFile(target);
  }
}
