import type { AgentEvent } from "../agent/events.ts";
import { type AgentBudget, type AgentResult, runAgent } from "../agent/loop.ts";
import type { ModelClient } from "../agent/model.ts";
import type { Tool } from "../agent/tools/tool.ts";
import { recordModelTurns } from "../agent/transcript.ts";
import type { RepoConfig } from "../config/repo-config.ts";
import type { Settings } from "../config/settings.ts";
import type { Logger } from "../logger.ts";
import { redactSecrets } from "../redact.ts";
import type { TaskContext } from "../worker/task-handler.ts";
import { type ChangedFile, commitChanges, type Identity, pushBranch } from "../workspace/commit-push.ts";
import { createSandbox } from "../workspace/sandbox.ts";
import type { Workspace, WorkspaceRequest, Workspaces } from "../workspace/workspace.ts";

/** What every task kind that runs the agent in a workspace needs from the process. */
export type AgentSessionDependencies = {
  settings: Pick<Settings, "sandbox">;
  workspaces: Workspaces;
  log: Logger;
};

export type SandboxConfig = {
  network: boolean;
  /** The repository's setup command (e.g. `npm ci`), run with the gated network before the agent starts. */
  setup: string | null;
  env: Record<string, string>;
  /** Hosts the network gate allows; empty: the sandbox's default (the registries found at the root). */
  allowedHosts?: string[];
  /** The largest file a command may write, and what the workspace may hold in all. */
  fileBytes?: number;
  diskBytes?: number;
};

const MB = 1024 ** 2;

/**
 * The session's sandbox and budget from a repository's `.github/loopwright.yml`, the same for every
 * task kind.
 *
 * @example
 * runAgentSession(deps, context, { ...sessionLimits(config), workspace, model, prompt, … });
 */
export function sessionLimits(config: RepoConfig): { sandbox: SandboxConfig; budget: Partial<AgentBudget> } {
  return {
    sandbox: {
      network: config.sandbox.network,
      setup: config.sandbox.setup,
      env: config.sandbox.env,
      allowedHosts: config.sandbox.allowed_hosts,
      fileBytes: config.budget.file_mb * MB,
      diskBytes: config.budget.disk_mb * MB,
    },
    budget: {
      maxSteps: config.budget.max_steps,
      maxTotalTokens: config.budget.max_tokens,
      maxWallTimeMs: config.sandbox.timeout_minutes * 60_000,
    },
  };
}

export type AgentSessionRequest = {
  workspace: Omit<WorkspaceRequest, "signal">;
  model: ModelClient;
  /**
   * The task text, or a function that writes it once the workspace exists (a review reads its diff
   * there); a failed setup command is reported to the model after it.
   */
  prompt: string | ((workspace: Workspace) => Promise<string>);
  sandbox: SandboxConfig;
  budget: Partial<AgentBudget>;
  /** The system prompt, when the task kind has its own (a review). Default: the coding instructions. */
  instructions?: string;
  /** How a completed session's changes are committed; absent: nothing is committed or pushed (a review). */
  commit?: { message: (result: AgentResult) => string; author: Identity; coAuthors: Identity[] };
  /** Runs after the agent while the workspace still exists (e.g. to read the reviewed commit's files). */
  afterAgent?: (workspace: Workspace, agent: AgentResult) => Promise<void>;
  /** Installation token for this push only (absent for local remotes). */
  token?: string;
  /**
   * `task`: the branch belongs to this task (fix, submit) — if someone else's branch already has the
   * name, the task id is appended, and only a branch this task created is ever force-pushed (a retry
   * replaces its earlier attempt). `existing`: push new commits onto an existing branch (iterate),
   * never forced. `replace` (maintain): the branch is Loopwright's own, proven by `lease` — the commit
   * it last pushed there, or absent when the branch must not exist — and the result replaces it; the
   * push is refused if anybody pushed since.
   */
  branchPolicy: "task" | "existing" | "replace";
  lease?: string;
  /** Task-specific tools after the coding tools, e.g. a finishing `noop`. */
  extraTools?: Tool[];
  /** False when the agent's ending delivers nothing (a `noop`): its changes are neither committed nor pushed. */
  keepChanges?: (agent: AgentResult) => boolean;
  /**
   * Looks at the committed change before it is pushed; a reason withholds the push (the same change
   * as a pull request people already closed).
   */
  beforePush?: (workspace: Workspace) => Promise<string | undefined>;
  /** Sees each agent event after it is stored (progress comments). */
  onEvent?: (event: AgentEvent) => void | Promise<void>;
};

export type SetupResult = { command: string; exitCode: number; output: string; durationMs: number };

export type AgentSessionResult = {
  agent: AgentResult;
  events: AgentEvent[];
  setup: SetupResult | undefined;
  change:
    | { status: "not-attempted" }
    | { status: "nothing-changed"; message: string }
    | { status: "withheld"; reason: string }
    | { status: "pushed"; sha: string; branch: string; files: ChangedFile[] };
};

const SETUP_OUTPUT_FOR_MODEL = 4_000;

function setupNote(setup: SetupResult): string {
  const tail =
    setup.output.length > SETUP_OUTPUT_FOR_MODEL
      ? `…${setup.output.slice(-SETUP_OUTPUT_FOR_MODEL)}`
      : setup.output;
  return [
    "",
    `Note: the repository's setup command \`${setup.command}\` failed with exit code ${setup.exitCode} before you started. Its output ended with:`,
    "```",
    tail,
    "```",
  ].join("\n");
}

/**
 * Runs one agent session for a task: a fresh workspace from the mirror cache, the sandbox around it,
 * the repository's setup command, the agent loop (every event stored as a step, every model turn in
 * the transcript, tokens counted), then — when the agent finished — commit and push of the task
 * branch. The workspace is always removed, whatever happens.
 *
 * @example
 * const session = await runAgentSession(deps, context, { workspace, model, prompt, sandbox, budget, commit });
 * if (session.change.status === "pushed") await openPullRequest(session.change.branch);
 */
export async function runAgentSession(
  deps: AgentSessionDependencies,
  context: TaskContext,
  request: AgentSessionRequest,
): Promise<AgentSessionResult> {
  const { signal, steps } = context;
  const startedAt = new Date();
  const ownBranch = context.task.sideEffects.branch;
  await using workspace = await deps.workspaces.create({
    ...request.workspace,
    ...(request.branchPolicy === "task" &&
      typeof ownBranch === "string" && { branch: ownBranch, branchOwned: true }),
    ...(request.branchPolicy === "replace" && { branchOwned: true }),
    signal,
  });
  await steps.record({
    kind: "workspace",
    startedAt,
    durationMs: Date.now() - startedAt.getTime(),
    payload: { branch: workspace.branch, baseSha: workspace.baseSha, fromSpare: workspace.fromSpare },
  });

  await using sandbox = await createSandbox({
    mode: deps.settings.sandbox,
    workspace: workspace.path,
    workspaceOwnership: "keep",
    network: request.sandbox.network,
    allowedHosts: request.sandbox.allowedHosts,
    env: request.sandbox.env,
    readOnlyPaths: [workspace.sharedObjects],
    limits: {
      ...(request.sandbox.fileBytes && { fileBytes: request.sandbox.fileBytes }),
      ...(request.sandbox.diskBytes && { diskBytes: request.sandbox.diskBytes }),
    },
    log: deps.log,
  });

  let setup: SetupResult | undefined;
  if (request.sandbox.setup) {
    const result = await sandbox.setup(request.sandbox.setup, { signal });
    setup = {
      command: request.sandbox.setup,
      exitCode: result.exitCode,
      output: redactSecrets(result.output, [request.token]),
      durationMs: result.durationMs,
    };
    await steps.record({
      kind: "setup",
      durationMs: result.durationMs,
      payload: { ...setup, network: sandbox.networkDecisions() },
    });
  }

  const events: AgentEvent[] = [];
  const model = recordModelTurns(request.model, (line) => context.transcript.append(line));
  const prompt = typeof request.prompt === "string" ? request.prompt : await request.prompt(workspace);
  const agent = await runAgent({
    model,
    runner: sandbox,
    task: setup && setup.exitCode !== 0 ? `${prompt}\n${setupNote(setup)}` : prompt,
    cwd: workspace.path,
    ...(request.instructions !== undefined && { instructions: request.instructions }),
    budget: request.budget,
    signal,
    promptCacheKey: `loopwright-task-${context.task.id}-${context.task.attempt}`,
    ...(request.extraTools && { extraTools: request.extraTools }),
    async onEvent(event) {
      events.push(event);
      // Not waited for: the loop goes on while the step is stored, and steps that pile up meanwhile
      // share one insert; the worker flushes them before the task ends (a failed write fails it).
      void steps.record({ kind: event.type, payload: event });
      if (event.type === "model_turn" || event.type === "compaction")
        await context.addTokens(event.usage.total);
      await request.onEvent?.(event);
    },
  });

  await request.afterAgent?.(workspace, agent);
  if (agent.outcome !== "completed" || !request.commit || request.keepChanges?.(agent) === false) {
    return { agent, events, setup, change: { status: "not-attempted" } };
  }

  const pushStartedAt = new Date();
  const ours = request.branchPolicy === "task";
  const branch =
    ours && !workspace.createdBranch ? `${workspace.branch}-${context.task.id}` : workspace.branch;
  const committed = await commitChanges(workspace, {
    message: request.commit.message(agent),
    author: request.commit.author,
    coAuthors: request.commit.coAuthors,
    signal,
  });
  if (committed.status === "nothing-changed") {
    await steps.record({ kind: "push", startedAt: pushStartedAt, payload: committed });
    return { agent, events, setup, change: committed };
  }
  const withheld = await request.beforePush?.(workspace);
  if (withheld !== undefined) {
    await steps.record({ kind: "push", startedAt: pushStartedAt, payload: { status: "withheld", withheld } });
    return { agent, events, setup, change: { status: "withheld", reason: withheld } };
  }
  // Recorded before the push, so a retry after a crash mid-push knows the branch is this task's own.
  if (ours) await context.recordSideEffect("branch", branch);
  const replace = request.branchPolicy === "replace";
  const pushed = await pushBranch(workspace, {
    token: request.token,
    branch,
    force: (ours && workspace.createdBranch) || replace,
    ...(replace && { lease: request.lease ?? "" }),
    signal,
  });
  const change = {
    status: "pushed" as const,
    sha: pushed.sha,
    branch: pushed.branch,
    files: committed.files,
  };
  await steps.record({
    kind: "push",
    startedAt: pushStartedAt,
    durationMs: Date.now() - pushStartedAt.getTime(),
    payload: change,
  });
  return { agent, events, setup, change };
}
