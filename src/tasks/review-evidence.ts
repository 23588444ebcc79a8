import type { SubmittedFinding } from "../agent/tools/submit-review.ts";
import { redactSecrets } from "../redact.ts";
import type { TaskContext } from "../worker/task-handler.ts";
import { createSandbox } from "../workspace/sandbox.ts";
import type { Workspaces } from "../workspace/workspace.ts";
import type { AgentSessionDependencies } from "./agent-session.ts";

/** Evidence commands re-run per review, at most (the highest-priority findings first). */
export const MAX_EVIDENCE_RUNS = 5;
const EVIDENCE_TIMEOUT_MS = 120_000;

export type EvidenceRun = { exitCode: number; output: string; reproduced: boolean; durationMs: number };

/** Whether a finding's evidence is worth re-running: P0 and P1 findings that give a command. */
export const wantsEvidenceRun = (finding: SubmittedFinding): boolean =>
  finding.evidence !== undefined && (finding.priority === "P0" || finding.priority === "P1");

/**
 * Re-runs a finding's evidence command the way a skeptical reviewer would: in a fresh workspace at
 * the reviewed commit (nothing the agent changed while reviewing is there), in a fresh sandbox with
 * the network off and no token. The finding counts as reproduced when the command's output contains
 * the text the finding said it would. Each run is recorded as a step.
 *
 * @example
 * const run = await rerunEvidence(deps, context, { url, token, headSha, number: 12, env }, finding);
 * run.reproduced; // true when the output showed the problem
 */
export async function rerunEvidence(
  deps: AgentSessionDependencies & { workspaces: Workspaces },
  context: TaskContext,
  where: {
    url: string;
    token: string;
    headSha: string;
    number: number;
    branchPrefix: string;
    env: Record<string, string>;
  },
  finding: SubmittedFinding,
): Promise<EvidenceRun> {
  const evidence = finding.evidence;
  if (!evidence) throw new Error("the finding has no evidence command");
  await using workspace = await deps.workspaces.create({
    url: where.url,
    token: where.token,
    target: { kind: "commit", sha: where.headSha },
    branch: `review-${where.number}-evidence`,
    branchPrefix: where.branchPrefix,
    signal: context.signal,
  });
  await using sandbox = await createSandbox({
    mode: deps.settings.sandbox,
    workspace: workspace.path,
    workspaceOwnership: "keep",
    network: false,
    env: where.env,
    readOnlyPaths: [workspace.sharedObjects],
    log: deps.log,
  });
  const result = await sandbox.run({
    argv: ["bash", "-lc", evidence.command],
    cwd: workspace.path,
    timeoutMs: EVIDENCE_TIMEOUT_MS,
    signal: context.signal,
  });
  const output = redactSecrets(result.output, [where.token]);
  const run = {
    exitCode: result.exitCode,
    output,
    reproduced: !result.timedOut && output.includes(evidence.expected),
    durationMs: result.durationMs,
  };
  await context.steps.record({
    kind: "evidence",
    durationMs: result.durationMs,
    payload: { title: finding.title, command: evidence.command, expected: evidence.expected, ...run },
  });
  return run;
}
