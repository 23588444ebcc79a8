import type { PlanItem } from "../agent/tools/tool.ts";
import { condenseMarkdown, escapeInline, GITHUB_BODY_LIMIT, inlineCode, taskMarker } from "./markdown.ts";

export type ProgressStatus = "queued" | "running" | "succeeded" | "no_changes" | "failed" | "stopped";

/** Everything the progress comment shows; the worker rebuilds it from the task and its steps. */
export type ProgressView = {
  taskId: string;
  kind: "fix" | "iterate";
  status: ProgressStatus;
  /** The configured command word, for the "say /agent stop" hint. */
  command: string;
  elapsedMs: number;
  tokens: number;
  plan: PlanItem[];
  /** The step being worked on while running, e.g. "running `npm test`" (model text: escaped here). */
  currentStep?: { number: number; maxSteps: number; description: string };
  /** For the end states. `reason` says why there is no pull request, or why it stopped or failed. */
  result?: {
    pullRequest?: { number: number; url: string };
    reason?: string;
    /** What was tried before giving up, e.g. the commands run. */
    tried?: string[];
  };
  /** The dashboard page of the task, when the server has a public URL. */
  logUrl?: string;
};

/**
 * Elapsed time the way people say it: 45s, 3m 12s, 1h 04m.
 *
 * @example
 * formatDuration(192_000); // "3m 12s"
 */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, "0")}m`;
}

const HEADLINES: Record<ProgressStatus, string> = {
  queued: "⏳ Queued",
  running: "🔄 Working",
  succeeded: "✅ Done",
  no_changes: "ℹ️ Finished without changes",
  failed: "❌ Failed",
  stopped: "⏹️ Stopped",
};

const PLAN_ICONS: Record<PlanItem["status"], string> = {
  pending: "[ ]",
  in_progress: "[ ]",
  completed: "[x]",
};
const MAX_PLAN_ITEMS = 30;
const MAX_TRIED = 20;
const MAX_LINE = 300;

const clip = (text: string) => (text.length > MAX_LINE ? `${text.slice(0, MAX_LINE - 3)}...` : text);

/** The checklist; the step in progress is marked only while the task runs (a finished task has no "now"). */
function renderPlan(plan: PlanItem[], active: boolean): string[] {
  if (plan.length === 0) return [];
  const shown = plan.slice(0, MAX_PLAN_ITEMS).map((item) => {
    const text = escapeInline(clip(item.step));
    return `- ${PLAN_ICONS[item.status]} ${active && item.status === "in_progress" ? `**${text}** ← now` : text}`;
  });
  if (plan.length > MAX_PLAN_ITEMS) shown.push(`- ... and ${plan.length - MAX_PLAN_ITEMS} more`);
  return ["**Plan**", "", ...shown, ""];
}

function renderResult(view: ProgressView): string[] {
  const { result } = view;
  if (!result) return [];
  const lines: string[] = [];
  if (result.pullRequest) {
    const { number, url } = result.pullRequest;
    lines.push(
      view.kind === "iterate" ? `Pushed new commits to this pull request.` : `Opened [#${number}](${url}).`,
    );
  }
  if (result.reason) lines.push(escapeInline(clip(result.reason)));
  if (result.tried && result.tried.length > 0) {
    lines.push("", "**What was tried**", "");
    lines.push(...result.tried.slice(0, MAX_TRIED).map((item) => `- ${inlineCode(clip(item))}`));
    if (result.tried.length > MAX_TRIED) lines.push(`- ... and ${result.tried.length - MAX_TRIED} more`);
  }
  return [...lines, ""];
}

/**
 * The one progress comment of a task, edited in place: status, plan checklist, current step, elapsed
 * time and tokens; at the end the result (pull request link, or why not and what was tried). It
 * carries the task marker so a retried task finds and reuses it.
 *
 * @example
 * renderProgressComment({ taskId: "t1", kind: "fix", status: "running", command: "/agent",
 *   elapsedMs: 4000, tokens: 1200, plan: [] });
 */
export function renderProgressComment(view: ProgressView): string {
  const what = view.kind === "fix" ? "a fix for this issue" : "changes to this pull request";
  const stats = [formatDuration(view.elapsedMs), `${view.tokens.toLocaleString("en-US")} tokens`];
  const active = view.status === "queued" || view.status === "running";
  if (view.currentStep && active)
    stats.unshift(`step ${view.currentStep.number} of at most ${view.currentStep.maxSteps}`);
  const lines = [
    taskMarker(view.taskId),
    `**Loopwright** · ${HEADLINES[view.status]} · ${what}`,
    "",
    stats.join(" · "),
    "",
    ...renderPlan(view.plan, active),
  ];
  if (view.currentStep && active)
    lines.push(`**Now:** ${escapeInline(clip(view.currentStep.description))}`, "");
  lines.push(...renderResult(view));
  const footer: string[] = [];
  if (view.logUrl) footer.push(`[Step log](${view.logUrl})`);
  if (active) footer.push(`Comment ${inlineCode(`${view.command} stop`)} to stop.`);
  if (footer.length > 0) lines.push(`<sub>${footer.join(" · ")}</sub>`);
  return condenseMarkdown(lines.join("\n").trimEnd(), GITHUB_BODY_LIMIT);
}
