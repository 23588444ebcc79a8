/**
 * Markdown building blocks for what Loopwright posts. Text from users and the model never pings
 * anyone (mentions are broken with a zero-width space, as Dependabot does), never closes our
 * `<details>` blocks or opens HTML of its own, and never leaves a code fence open.
 */

/** GitHub's limit on an issue comment, pull request body or review body, in characters. */
export const GITHUB_BODY_LIMIT = 65_536;

const MENTION = /(^|[^\w`])@(?=[A-Za-z0-9])/g;

/**
 * Keeps `@user` and `@org/team` readable but stops them from notifying anyone.
 *
 * @example
 * neutralizeMentions("thanks @octocat"); // "thanks @&#8203;octocat"
 */
export function neutralizeMentions(text: string): string {
  return text.replace(MENTION, "$1@&#8203;");
}

/**
 * Plain text as one line of inert markdown: every ASCII punctuation character CommonMark could read
 * as syntax is backslash-escaped, newlines become spaces, and mentions are neutralized. (Small
 * enough that a dependency would not pay: the npm escapers miss `|`, `~`, `!` or `@`.)
 *
 * @example
 * escapeInline("**bold** <b> @ann"); // "\\*\\*bold\\*\\* \\<b\\> @&#8203;ann"
 */
export function escapeInline(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return neutralizeMentions(oneLine.replace(/[\\`*_{}[\]()#+\-.!|~<>&"'=:$]/g, "\\$&"));
}

/** The longest run of backticks in the text (a reduce: spreading a huge match list overflows the stack). */
function longestBacktickRun(text: string): number {
  return (text.match(/`+/g) ?? []).reduce((longest, run) => Math.max(longest, run.length), 0);
}

/**
 * Text as an inline code span, on one line, with a backtick fence longer than any run inside.
 *
 * @example
 * inlineCode("npm test"); // "`npm test`"
 */
export function inlineCode(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  const fence = "`".repeat(longestBacktickRun(oneLine) + 1);
  const pad = oneLine.startsWith("`") || oneLine.endsWith("`") ? " " : "";
  return `${fence}${pad}${oneLine}${pad}${fence}`;
}

/**
 * Text as a fenced code block whose fence is longer than any backtick run inside, so nothing in the
 * text can end it early.
 *
 * @example
 * codeBlock("exit 1", "console");
 */
export function codeBlock(text: string, info = ""): string {
  const fence = "`".repeat(Math.max(2, longestBacktickRun(text)) + 1);
  return `${fence}${info}\n${text.replace(/\n+$/, "")}\n${fence}`;
}

type Fence = { char: string; length: number };

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/**
 * For each line, the code fence open before it (CommonMark rules: a fence closes with the same
 * character, at least as long, and nothing else on the line), plus the fence still open at the end.
 */
function fenceStates(lines: string[]): { before: (Fence | undefined)[]; end: Fence | undefined } {
  const before: (Fence | undefined)[] = [];
  let open: Fence | undefined;
  for (const line of lines) {
    before.push(open);
    const match = FENCE_LINE.exec(line);
    if (!match) continue;
    const run = match[1] ?? "";
    const rest = match[2] ?? "";
    const char = run.charAt(0);
    if (open === undefined) {
      if (char === "`" && rest.includes("`")) continue;
      open = { char, length: run.length };
    } else if (char === open.char && run.length >= open.length && rest.trim() === "") {
      open = undefined;
    }
  }
  return { before, end: open };
}

const closer = (fence: Fence) => fence.char.repeat(fence.length);

/** Outside code: HTML cannot open or close tags (so no `</details>` or fake markers), mentions stay quiet. */
function defuseProse(line: string): string {
  return line
    .split(/(`+[^`]*?`+)/g)
    .map((part, index) => (index % 2 === 1 ? part : neutralizeMentions(part.replace(/</g, "&lt;"))))
    .join("");
}

/**
 * Markdown written by the model (or assembled from its steps), made safe to embed: its formatting is
 * kept, but outside code it cannot start HTML or ping anyone, and an unclosed code fence is closed.
 *
 * @example
 * safeMarkdown("Fixed it </details> cc @ann\n```\ncode"); // "Fixed it &lt;/details> cc @&#8203;ann\n```\ncode\n```"
 */
export function safeMarkdown(text: string): string {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const { before, end } = fenceStates(lines);
  const out = lines.map((line, index) => (before[index] || FENCE_LINE.test(line) ? line : defuseProse(line)));
  if (end) out.push(closer(end));
  return out.join("\n");
}

/**
 * Shortens markdown to at most `max` characters by dropping whole lines from the middle (keeping the
 * start and, preferably, the end), with a line saying how many were omitted. A code fence open at
 * the cut is closed before it and reopened after it, so the result is balanced.
 *
 * @example
 * condenseMarkdown(longStepLog, 50_000);
 */
export function condenseMarkdown(text: string, max: number): string {
  if (text.length <= max) return text;
  const lines = text.split("\n");
  const { before } = fenceStates(lines);
  const longestFence = before.reduce((longest, fence) => Math.max(longest, fence?.length ?? 0), 0);
  // The omission line, plus closing and reopening a fence at the cut and closing one left open at the end.
  const reserve = 80 + 3 * (longestFence + 1);
  const available = Math.max(0, max - reserve);
  const takeWithin = (budget: number, indices: number[]) => {
    const taken: number[] = [];
    let used = 0;
    for (const index of indices) {
      const size = (lines[index] ?? "").length + 1;
      if (used + size > budget) break;
      used += size;
      taken.push(index);
    }
    return { taken, used };
  };
  const head = takeWithin(Math.floor(available * 0.4), [...lines.keys()]);
  const fromEnd = [...lines.keys()].reverse().filter((index) => index >= head.taken.length);
  const tail = takeWithin(available - head.used, fromEnd);
  const tailStart = lines.length - tail.taken.length;
  const omitted = tailStart - head.taken.length;
  const headFence = before[head.taken.length];
  const tailFence = before[tailStart];
  const parts = lines.slice(0, head.taken.length);
  if (headFence) parts.push(closer(headFence));
  parts.push("", `*[... ${omitted} line${omitted === 1 ? "" : "s"} omitted ...]*`, "");
  if (tailFence) parts.push(tailFence.char.repeat(tailFence.length));
  parts.push(...lines.slice(tailStart));
  const open = fenceStates(parts).end;
  if (open) parts.push(closer(open));
  return parts.join("\n");
}

/**
 * Plain text inside an HTML element, on one line. GitHub passes an HTML block through raw, so
 * markdown's backslash escapes would show up literally there; entities do not.
 */
function escapeHtmlText(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return neutralizeMentions(oneLine.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"));
}

/**
 * A collapsed block. `body` must already be safe markdown (see {@link safeMarkdown}).
 *
 * @example
 * details("Step log (12 steps)", safeMarkdown(log));
 */
export function details(summary: string, body: string): string {
  return `<details>\n<summary>${escapeHtmlText(summary)}</summary>\n\n${body}\n\n</details>`;
}

const ESCAPED_OPEN = /^( *)&lt;details>&lt;summary>([\w .,:-]*)&lt;\/summary>$/;

/**
 * Gives back, after {@link safeMarkdown} (and any {@link condenseMarkdown}), the collapsed blocks a
 * trusted renderer (the step log) wraps around command output: a `<details><summary>words</summary>`
 * line, a blank line, one fenced code block, a blank line, `</details>`. Only such a group, whole and
 * outside code, is restored — so it is balanced by construction; a half cut off by condensing or a
 * lone tag written by the model stays escaped text and can never open or close a block.
 *
 * @example
 * restoreCollapsedCode(safeMarkdown("&lt;details>&lt;summary>output&lt;/summary>\n\n```\nok\n```\n\n&lt;/details>"));
 */
export function restoreCollapsedCode(markdown: string): string {
  const lines = markdown.split("\n");
  const { before } = fenceStates(lines);
  for (let index = 0; index < lines.length; index += 1) {
    const open = ESCAPED_OPEN.exec(lines[index] ?? "");
    // The open line outside code, then a blank line, then a line that opens a fence.
    if (!open || before[index] || lines[index + 1] !== "" || !before[index + 3]) continue;
    let close = index + 3;
    while (close < lines.length && before[close + 1]) close += 1;
    const indent = open[1] ?? "";
    if (lines[close + 1] !== "" || lines[close + 2] !== `${indent}&lt;/details>`) continue;
    lines[index] = `${indent}<details><summary>${open[2]}</summary>`;
    lines[close + 2] = `${indent}</details>`;
    index = close + 2;
  }
  return lines.join("\n");
}

/**
 * A hidden marker that lets Loopwright find its own comment or pull request again, e.g. after a retry.
 *
 * @example
 * marker("task", "t_123"); // "<!-- loopwright:task=t_123 -->"
 */
export function marker(key: string, value: string): string {
  return `<!-- loopwright:${key}=${value.replace(/[^\w.:@/-]/g, "_")} -->`;
}

/**
 * Reads a marker's value back from a comment or pull request body; undefined when absent.
 *
 * @example
 * findMarker("Working…\n<!-- loopwright:task=t_123 -->", "task"); // "t_123"
 */
export function findMarker(body: string | null | undefined, key: string): string | undefined {
  const match = new RegExp(`<!-- loopwright:${key}=([\\w.:@/-]+) -->`).exec(body ?? "");
  return match?.[1];
}

/**
 * The marker of a task's progress comment and pull request.
 *
 * @example
 * taskMarker("t_123"); // "<!-- loopwright:task=t_123 -->"
 */
export function taskMarker(taskId: string): string {
  return marker("task", taskId);
}
