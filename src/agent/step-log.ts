import { describeToolArguments, formatCount, formatDuration, summarizeEvent } from "./event-summary.ts";
import type { AgentEvent, FinalEvent } from "./events.ts";
import { truncateHeadTail } from "./truncate.ts";

/** GitHub comments and PR bodies hold 65,536 characters; this leaves room for the text around the log. */
export const DEFAULT_STEP_LOG_MAX_CHARS = 60_000;
/** Output shown per tool call in the full form of a step. */
const OUTPUT_LIMITS = { maxBytes: 3000, maxLines: 40 };

type Block = { full: string[]; brief: string };

const size = (lines: string[]): number => lines.reduce((sum, line) => sum + line.length + 1, 0);

/** A code fence longer than any backtick run in `text`, so the text cannot close it. */
function fenced(text: string, indent: string): string[] {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return [
    `${indent}${fence}text`,
    ...text.split("\n").map((line) => `${indent}${line}`),
    `${indent}${fence}`,
  ];
}

function fullBlock(event: AgentEvent): string[] {
  const brief = `- ${summarizeEvent(event)}`;
  switch (event.type) {
    case "model_turn": {
      const head = `- **step ${event.step}** · model ${formatDuration(event.durationMs)} · ${formatCount(event.usage.input)} in / ${formatCount(event.usage.output)} out${event.toolCalls.length > 0 ? ` → ${event.toolCalls.join(", ")}` : ""}`;
      const said = event.text === "" ? [] : event.text.split("\n").map((line) => `  > ${line}`);
      return [head, ...said];
    }
    case "tool_call": {
      const outcome = event.exitCode !== null ? `exit ${event.exitCode}` : event.isError ? "error" : "ok";
      const args = describeToolArguments(event.name, event.arguments).replace(/`/g, "'");
      const head = `- \`${event.name}\` \`${args}\` → ${outcome} (${formatDuration(event.durationMs)})`;
      if (event.fullOutput.trim() === "") return [head];
      const output = truncateHeadTail(event.fullOutput.trimEnd(), OUTPUT_LIMITS).text;
      return [head, "  <details><summary>output</summary>", "", ...fenced(output, "  "), "", "  </details>"];
    }
    case "plan_update": {
      const marks = { completed: "[x]", in_progress: "[~]", pending: "[ ]" } as const;
      return [
        `- plan${event.explanation ? `: ${event.explanation.replace(/\s+/g, " ")}` : ""}`,
        ...event.plan.map((item) => `  - ${marks[item.status]} ${item.step}`),
      ];
    }
    case "compaction":
      return [brief, ...event.summary.split("\n").map((line) => `  > ${line}`)];
    case "final":
      return [brief];
  }
}

function header(final: FinalEvent | undefined): string[] {
  if (!final) return ["**in progress**", ""];
  const { totals } = final;
  const cached = totals.cached > 0 ? ` (${formatCount(totals.cached)} cached)` : "";
  return [
    `**${final.outcome.replace("_", " ")}** · ${totals.steps} steps · ${totals.toolCalls} tool calls · ${formatCount(totals.total)} tokens${cached} · ${formatDuration(totals.durationMs)}${totals.compactions > 0 ? ` · ${totals.compactions} compactions` : ""}`,
    "",
  ];
}

/** The final message as whole lines, at most `maxChars`, middle lines dropped when it is longer. */
function footer(final: FinalEvent | undefined, maxChars: number): string[] {
  if (!final || final.message.trim() === "") return [];
  const lines = ["", "**Final message**", "", ...final.message.trimEnd().split("\n")];
  if (size(lines) <= maxChars) return lines;
  return truncateHeadTail(lines.join("\n"), {
    maxBytes: maxChars,
    maxLines: Number.POSITIVE_INFINITY,
  }).text.split("\n");
}

/** Full blocks at both ends, one-line briefs in the middle, growing the ends (newest first) while they fit. */
function condense(blocks: Block[], budget: number): string[] | undefined {
  const chosen: string[][] = blocks.map((block) => [block.brief]);
  const marker = ["", "_The middle steps are condensed to one line each to fit the size limit._", ""];
  let total = size(chosen.flat()) + size(marker);
  if (total > budget) return undefined;
  let low = 0;
  let high = blocks.length - 1;
  let growHigh = true;
  const open = { low: true, high: true };
  while (low <= high && (open.low || open.high)) {
    const side = growHigh && open.high ? "high" : open.low ? "low" : "high";
    const index = side === "high" ? high : low;
    const block = blocks[index] as Block;
    const extra = size(block.full) - size([block.brief]);
    if (total + extra <= budget) {
      chosen[index] = block.full;
      total += extra;
      if (side === "high") high -= 1;
      else low += 1;
    } else {
      open[side] = false;
    }
    growHigh = !growHigh;
  }
  if (low > high) return chosen.flat();
  return [...chosen.slice(0, low).flat(), ...marker, ...chosen.slice(low).flat()];
}

/** Only the first and last briefs, with a line saying how many steps in between are left out. */
function omitMiddle(blocks: Block[], budget: number): string[] {
  const briefs = blocks.map((block) => block.brief);
  let keep = briefs.length;
  const render = (count: number) => {
    const head = Math.ceil(count / 2);
    const tail = count - head;
    const omitted = briefs.length - count;
    return [
      ...briefs.slice(0, head),
      `- _… ${omitted} steps left out to fit the size limit …_`,
      ...briefs.slice(briefs.length - tail),
    ];
  };
  while (keep > 0 && size(render(keep)) > budget) keep -= 1;
  return render(keep);
}

/**
 * Renders step events as a markdown step log of at most `maxChars` characters. When the full log is
 * too long, the middle steps are condensed to one line each (the first and latest steps stay in
 * full), then middle lines are left out; lines are dropped whole, never cut part-way.
 *
 * @example
 * const markdown = renderStepLog(events); // "**completed** · 4 steps · 3 tool calls · …"
 */
export function renderStepLog(events: AgentEvent[], maxChars = DEFAULT_STEP_LOG_MAX_CHARS): string {
  const final = events.findLast((event): event is FinalEvent => event.type === "final");
  const top = header(final);
  const bottom = footer(final, Math.floor(maxChars / 2));
  const blocks: Block[] = events
    .filter((event) => event.type !== "final")
    .map((event) => ({ full: fullBlock(event), brief: `- ${summarizeEvent(event)}` }));
  const budget = maxChars - size(top) - size(bottom);
  const full = blocks.flatMap((block) => block.full);
  const body = size(full) <= budget ? full : (condense(blocks, budget) ?? omitMiddle(blocks, budget));
  return [...top, ...body, ...bottom].join("\n");
}
