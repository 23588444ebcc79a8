import { describeToolArguments } from "../agent/event-summary.ts";
import type { PlanItem } from "../agent/tools/tool.ts";
import type { Step } from "../store/steps.ts";

/** One step as people read it, whatever its kind: what ran, how it ended, what it cost. */
export type StepView = {
  /** "attempt.seq", the step's place in the log and the live feed's cursor. */
  id: string;
  attempt: number;
  seq: number;
  kind: string;
  /** The tool's name, "model gpt-5-codex", "plan", "push"… */
  title: string;
  /** The command line, the file, the assistant's words: one line or a short paragraph. */
  detail: string;
  exitCode: number | null;
  failed: boolean;
  /** The command's or tool's output, the model's reasoning summary, a compaction summary. */
  output: string;
  tokens: number | null;
  durationMs: number | null;
  startedAt: Date;
  /** The checklist, for plan updates. */
  plan: PlanItem[] | undefined;
};

type Fields = Record<string, unknown>;

const text = (value: unknown): string => (typeof value === "string" ? value : "");
const numberOr = (value: unknown, fallback: number | null): number | null =>
  typeof value === "number" && Number.isFinite(value) ? value : fallback;

function planOf(payload: Fields): PlanItem[] {
  if (!Array.isArray(payload.plan)) return [];
  return payload.plan
    .filter((item): item is Fields => typeof item === "object" && item !== null)
    .map((item) => ({
      step: text(item.step),
      status:
        item.status === "completed" || item.status === "in_progress" ? item.status : ("pending" as const),
    }));
}

function usageTotal(payload: Fields): number | null {
  const usage = payload.usage;
  return typeof usage === "object" && usage !== null ? numberOr((usage as Fields).total, null) : null;
}

/**
 * A stored step as a view: the fields each kind of payload carries (model turns, tool calls, plan
 * updates, compactions, the final event, workspace, setup and push steps) read defensively, any other
 * kind shown as its JSON.
 *
 * @example
 * const view = toStepView(step); // { title: "shell", detail: "npm test", exitCode: 1, … }
 */
export function toStepView(step: Step): StepView {
  const payload: Fields =
    typeof step.payload === "object" && step.payload !== null ? (step.payload as Fields) : {};
  const view: StepView = {
    id: `${step.attempt}.${step.seq}`,
    attempt: step.attempt,
    seq: step.seq,
    kind: step.kind,
    title: step.kind,
    detail: "",
    exitCode: null,
    failed: false,
    output: "",
    tokens: null,
    durationMs: step.durationMs ?? numberOr(payload.durationMs, null),
    startedAt: step.startedAt,
    plan: undefined,
  };
  switch (step.kind) {
    case "model_turn": {
      const calls = Array.isArray(payload.toolCalls) ? payload.toolCalls.map(String) : [];
      return {
        ...view,
        title: `model ${text(payload.model)}`.trim(),
        detail: text(payload.text) || (calls.length > 0 ? `calls ${calls.join(", ")}` : ""),
        output: text(payload.reasoning),
        tokens: usageTotal(payload),
      };
    }
    case "tool_call": {
      const name = text(payload.name) || "tool";
      const exitCode = numberOr(payload.exitCode, null);
      return {
        ...view,
        title: name,
        detail: describeToolArguments(name, text(payload.arguments)),
        exitCode,
        failed: payload.isError === true || (exitCode !== null && exitCode !== 0),
        output: text(payload.fullOutput) || text(payload.output),
      };
    }
    case "plan_update": {
      const plan = planOf(payload);
      const done = plan.filter((item) => item.status === "completed").length;
      const current = plan.find((item) => item.status === "in_progress")?.step;
      const progress = `${done}/${plan.length} done${current ? ` · now: ${current}` : ""}`;
      return { ...view, title: "plan", detail: text(payload.explanation) || progress, plan };
    }
    case "compaction":
      return { ...view, title: "compaction", output: text(payload.summary), tokens: usageTotal(payload) };
    case "final":
      return {
        ...view,
        title: `final: ${text(payload.outcome).replace("_", " ")}`,
        detail: text(payload.message),
        failed: payload.outcome !== "completed",
      };
    case "setup": {
      const exitCode = numberOr(payload.exitCode, null);
      return {
        ...view,
        title: "setup",
        detail: text(payload.command),
        exitCode,
        failed: exitCode !== null && exitCode !== 0,
        output: text(payload.output),
      };
    }
    case "workspace":
      return { ...view, detail: `${text(payload.branch)} at ${text(payload.baseSha).slice(0, 12)}` };
    case "push":
      return {
        ...view,
        detail:
          payload.status === "pushed"
            ? `pushed ${text(payload.branch)} (${text(payload.sha).slice(0, 12)})`
            : text(payload.message) || text(payload.status),
      };
    default:
      return { ...view, output: JSON.stringify(step.payload, null, 2) };
  }
}

/**
 * The task's latest plan: the checklist of its last `plan_update` step, or [] when it made none.
 *
 * @example
 * latestPlan(steps.map(toStepView)); // [{ step: "reproduce", status: "completed" }, …]
 */
export function latestPlan(views: readonly StepView[]): PlanItem[] {
  return views.findLast((view) => view.plan !== undefined)?.plan ?? [];
}
