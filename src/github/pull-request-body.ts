import {
  condenseMarkdown,
  details,
  GITHUB_BODY_LIMIT,
  inlineCode,
  neutralizeMentions,
  restoreCollapsedCode,
  safeMarkdown,
  taskMarker,
} from "./markdown.ts";

/** A command the model ran; `exitCode` is null when it was killed (timeout, output or CPU limit). */
export type CommandRun = { command: string; exitCode: number | null };

export type FileChange = {
  path: string;
  status: "added" | "modified" | "deleted" | "renamed";
  previousPath?: string;
};

/** What the pull request body reports of a finished task; the worker adapts the agent's events to it. */
export type StepSummary = {
  /** The model's final message (markdown). */
  summary: string;
  commands: CommandRun[];
  filesChanged: FileChange[];
  /** The whole step log as markdown; condensed here to fit. */
  stepLog: string;
  steps: number;
  tokens: number;
};

export type PullRequestBodyInput = {
  taskId: string;
  /** The issue the pull request fixes; absent for scheduled maintenance. */
  issueNumber?: number;
  requester: string;
  /** The configured command word, for the follow-up hint. */
  command: string;
  result: StepSummary;
};

const MAX_SUMMARY = 20_000;
const MAX_COMMANDS = 60;
const MAX_FILES = 150;
const MAX_COMMAND_TEXT = 200;

function listWithRest<T>(items: T[], max: number, render: (item: T) => string): string[] {
  const lines = items.slice(0, max).map(render);
  if (items.length > max) lines.push(`- ... and ${items.length - max} more`);
  return lines;
}

function renderCommand(run: CommandRun): string {
  const text =
    run.command.length > MAX_COMMAND_TEXT ? `${run.command.slice(0, MAX_COMMAND_TEXT - 3)}...` : run.command;
  if (run.exitCode === null) return `- ⏱️ ${inlineCode(text)} (killed before it finished)`;
  return `- ${run.exitCode === 0 ? "✅" : "❌"} ${inlineCode(text)} (exit ${run.exitCode})`;
}

function renderFile(file: FileChange): string {
  const how = file.previousPath ? `renamed from ${inlineCode(file.previousPath)}` : file.status;
  return `- ${inlineCode(file.path)} (${how})`;
}

/**
 * The body of the pull request a task opens: `Fixes #n`, the model's summary, the commands it ran
 * with their exit codes, the files changed, and the step log in a collapsed block. It always fits
 * `limit` (GitHub's 65,536 characters): the step log is condensed first, by whole lines, with fences
 * kept balanced; only if even that is not enough is it left out, saying so.
 *
 * @example
 * renderPullRequestBody({ taskId: "t1", issueNumber: 7, requester: "ann", command: "/agent",
 *   result: { summary: "Fixed the typo.", commands: [], filesChanged: [], stepLog: "", steps: 3, tokens: 900 } });
 */
export function renderPullRequestBody(input: PullRequestBodyInput, limit = GITHUB_BODY_LIMIT): string {
  const { result } = input;
  const head = [taskMarker(input.taskId)];
  if (input.issueNumber !== undefined) head.push(`Fixes #${input.issueNumber}`, "");
  head.push(condenseMarkdown(safeMarkdown(result.summary.trim() || "(no summary)"), MAX_SUMMARY), "");
  if (result.commands.length > 0) {
    head.push("### Commands run", "", ...listWithRest(result.commands, MAX_COMMANDS, renderCommand), "");
  }
  if (result.filesChanged.length > 0) {
    head.push("### Files changed", "", ...listWithRest(result.filesChanged, MAX_FILES, renderFile), "");
  }
  const footer = [
    "---",
    `<sub>Opened by Loopwright for ${neutralizeMentions(`@${input.requester}`)}. Comment ${inlineCode(
      `${input.command} <instructions>`,
    )} here to ask for changes.</sub>`,
  ];
  const title = `Step log (${result.steps} steps, ${result.tokens.toLocaleString("en-US")} tokens)`;
  const fixed = [...head, ...footer].join("\n").length;
  const wrapper = details(title, "").length + 2;
  const room = limit - fixed - wrapper;
  const log = safeMarkdown(result.stepLog.trim() || "(empty)");
  const block =
    room >= 500
      ? // The step log folds each command's output into a block of its own; safeMarkdown escaped those
        // with the rest of its HTML, so the whole ones are given back once the log is cut to size.
        details(title, restoreCollapsedCode(condenseMarkdown(log, room)))
      : "*The step log did not fit in the pull request body; see the task's log on the dashboard.*";
  const body = [...head, block, "", ...footer].join("\n");
  // The fixed parts are capped well below the limit; this guards a caller passing a tiny limit.
  return body.length <= limit ? body : condenseMarkdown(body, limit);
}
