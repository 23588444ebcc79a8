import type { AgentEvent, TokenCounts, ToolCallEvent } from "./events.ts";

const MAX_SUMMARY_CHARS = 200;

/** A number with thousands separators, stable across locales. */
export const formatCount = (value: number): string => value.toLocaleString("en-US");

/**
 * A duration people read at a glance: "850 ms", "4.2 s", "3m 05s".
 *
 * @example
 * formatDuration(185_000); // "3m 05s"
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
}

const formatTokens = (usage: TokenCounts): string =>
  `${formatCount(usage.input)} in${usage.cached > 0 ? ` (${formatCount(usage.cached)} cached)` : ""} / ${formatCount(usage.output)} out`;

const oneLine = (text: string): string => text.replace(/\s+/g, " ").trim();

function clip(text: string, max = MAX_SUMMARY_CHARS): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The gist of a tool call's arguments: the command for shell, the path for file tools, the files a
 * patch touches; otherwise the raw arguments.
 *
 * @example
 * describeToolArguments("shell", '{"command":["npm","test"]}'); // "npm test"
 */
export function describeToolArguments(name: string, rawArguments: string): string {
  let args: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(rawArguments);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return oneLine(rawArguments);
    args = parsed as Record<string, unknown>;
  } catch {
    return oneLine(rawArguments);
  }
  const { command, path, pattern, input } = args;
  if (name === "shell" && Array.isArray(command)) return command.map(String).join(" ");
  if (name === "shell" && typeof command === "string") return oneLine(command);
  if (name === "apply_patch" && typeof input === "string") {
    const files = [...input.matchAll(/^\*\*\* (?:Add|Update|Delete) File: (.+)$/gm)].map((match) =>
      match[1]?.trim(),
    );
    return files.join(", ");
  }
  if (name === "search" && typeof pattern === "string")
    return `/${pattern}/${typeof path === "string" ? ` in ${path}` : ""}`;
  if (typeof path === "string") return path;
  return oneLine(rawArguments);
}

/**
 * `describeToolArguments`, clipped to one short line: what a step log shows for a call.
 *
 * @example
 * toolCallGist("shell", '{"command":"npm test"}'); // "npm test"
 */
export const toolCallGist = (name: string, rawArguments: string): string =>
  clip(describeToolArguments(name, rawArguments), MAX_SUMMARY_CHARS);

/** How a tool call ended, in a few words: "exit 1", "ok", or the error's first line. */
export function toolOutcome(event: ToolCallEvent): string {
  if (event.exitCode !== null) return `exit ${event.exitCode}`;
  if (event.isError) return `error: ${oneLine(event.output.split("\n")[0] ?? "")}`;
  return "ok";
}

/**
 * One plain line for a step: what the CLI prints as it happens and the step log's condensed form.
 *
 * @example
 * summarizeEvent(toolCallEvent); // "step 3 · shell npm test → exit 1 (0.4 s)"
 */
export function summarizeEvent(event: AgentEvent): string {
  switch (event.type) {
    case "model_turn": {
      const said = event.text === "" ? "" : ` · "${oneLine(event.text)}"`;
      const calls = event.toolCalls.length > 0 ? ` → ${event.toolCalls.join(", ")}` : "";
      return clip(
        `step ${event.step} · model ${formatDuration(event.durationMs)} · ${formatTokens(event.usage)}${calls}${said}`,
      );
    }
    case "tool_call":
      return clip(
        `step ${event.step} · ${event.name} ${clip(describeToolArguments(event.name, event.arguments), 100)} → ${toolOutcome(event)} (${formatDuration(event.durationMs)})`,
      );
    case "plan_update": {
      const done = event.plan.filter((item) => item.status === "completed").length;
      const current = event.plan.find((item) => item.status === "in_progress");
      return clip(
        `step ${event.step} · plan ${done}/${event.plan.length} done${current ? ` · now: ${current.step}` : ""}`,
      );
    }
    case "compaction":
      return `step ${event.step} · compacted the context: ${formatCount(event.tokensBefore)} → ${formatCount(event.tokensAfter)} tokens (${formatDuration(event.durationMs)})`;
    case "final":
      return `${event.outcome} after ${event.totals.steps} steps, ${event.totals.toolCalls} tool calls, ${formatCount(event.totals.total)} tokens, ${formatDuration(event.totals.durationMs)}`;
  }
}
