import type { RepoConfig } from "../config/repo-config.ts";
import type { SubmitRefused } from "../store/admission.ts";
import type { LimitRefusal } from "../store/task-limits.ts";
import { codeBlock, escapeInline, inlineCode, marker, neutralizeMentions } from "./markdown.ts";
import type { CommandWord } from "./near-miss.ts";

/** The marker of a reply to one request (its event key), so a redelivered request is answered once. */
const refusedMarker = (eventKey: string) => marker("refused", eventKey);

/**
 * The answer to `/agent help`: what can be asked, with this repository's command word and label.
 *
 * @example
 * renderHelpReply(DEFAULT_REPO_CONFIG);
 */
export function renderHelpReply(config: RepoConfig): string {
  const command = config.fix.command;
  return [
    "**Loopwright** works on this repository when someone with write access asks:",
    "",
    `- ${inlineCode(`${command} fix [instructions]`)} or ${inlineCode(`${command} <instructions>`)} on an issue: works on a fix and opens a pull request (adding the label ${inlineCode(config.fix.label)} does the same);`,
    `- ${inlineCode(`${command} <instructions>`)} on one of its pull requests, or a review requesting changes: pushes follow-up commits;`,
    `- ${inlineCode(`${command} review [instructions]`)} on a pull request: reviews it now; ${inlineCode(`${command} review pause`)} / ${inlineCode("resume")} switch its automatic reviews off and on; ${inlineCode(`${command} dismiss`)} on a finding's thread (or ${inlineCode(`${command} dismiss F3`)}) dismisses that finding;`,
    `- ${inlineCode(`${command} stop`)}: stops the running task of this issue or pull request (closing it does too);`,
    `- ${inlineCode(`${command} run <name>`)}: runs the maintenance schedule of that name from ${inlineCode(".github/loopwright.yml")} now;`,
    `- ${inlineCode(`${command} help`)}: this message.`,
    "",
    `The command must start the comment; a word that only looks like ${inlineCode("fix")}, ${inlineCode("stop")} or ${inlineCode("help")} (${inlineCode(`${command} fixing`)}) starts nothing. Settings live in ${inlineCode(".github/loopwright.yml")}.`,
  ].join("\n");
}

/**
 * The one reply to someone without write access who tried to start a task. Its marker names the user
 * so it is posted once per issue and user.
 *
 * @example
 * renderUnauthorizedReply("ann", "/agent");
 */
export function renderUnauthorizedReply(login: string, command: string): string {
  return [
    marker("unauthorized", login),
    `${neutralizeMentions(`@${login}`)}, only users with write, maintain or admin access to this repository can start Loopwright with ${inlineCode(command)} or its label. A maintainer can run it for you.`,
  ].join("\n");
}

/**
 * Why an explicit request was not taken up (a fork's pull request, a closed issue, missing instructions).
 * With the request's event key, the reply carries a marker so the same request delivered again is not
 * answered twice.
 *
 * @example
 * renderRefusalReply("this issue is closed; reopen it to run /agent");
 */
export function renderRefusalReply(reason: string, eventKey?: string): string {
  const text = `**Loopwright** cannot do that here: ${escapeInline(reason)}.`;
  return eventKey === undefined ? text : `${refusedMarker(eventKey)}\n${text}`;
}

/**
 * The comment about an invalid `.github/loopwright.yml`, naming each bad key; the marker lets it be
 * posted once per issue.
 *
 * @example
 * renderInvalidConfigComment(['budget.max_steps: expected a whole number from 1 to 1000, got "lots"']);
 */
export function renderInvalidConfigComment(problems: string[]): string {
  return [
    marker("config", "invalid"),
    `**Loopwright**: ${inlineCode(".github/loopwright.yml")} has problems, so the defaults are used for these keys:`,
    "",
    codeBlock(problems.join("\n")),
    "",
    "Fix the file on the default branch; the next task reads it again.",
  ].join("\n");
}

const MAX_SHOWN_WORD = 40;

/**
 * The answer to a slip of a command word (`/agent fixing`): nothing started, did you mean…, and how to
 * give instructions that really start with that word.
 *
 * @example
 * renderNearMissReply({ command: "/agent", typed: "fixing", meant: "fix", eventKey: "comment:42" });
 */
export function renderNearMissReply(request: {
  command: string;
  typed: string;
  meant: CommandWord;
  eventKey: string;
}): string {
  const { command } = request;
  const typed =
    request.typed.length > MAX_SHOWN_WORD ? `${request.typed.slice(0, MAX_SHOWN_WORD)}…` : request.typed;
  return [
    refusedMarker(request.eventKey),
    `**Loopwright** did not start anything: did you mean ${inlineCode(`${command} ${request.meant}`)}? ${inlineCode(typed)} is not a command word. To give instructions that begin with it, write ${inlineCode(`${command} fix ${typed} …`)}.`,
  ].join("\n");
}

/**
 * The answer to a request on an issue or pull request another task already works on: which task, and
 * how to stop it.
 *
 * @example
 * renderBusyReply({ command: "/agent", activeTaskId: 12, onPullRequest: false, eventKey: "comment:42" });
 */
export function renderBusyReply(request: {
  command: string;
  activeTaskId: number;
  onPullRequest: boolean;
  eventKey: string;
}): string {
  const where = request.onPullRequest ? "pull request" : "issue";
  return [
    refusedMarker(request.eventKey),
    `**Loopwright** is already working on this ${where} (task ${request.activeTaskId}), so this request did not start another task. Comment ${inlineCode(`${request.command} stop`)} to stop task ${request.activeTaskId}, then ask again.`,
  ].join("\n");
}

/**
 * The answer to a request the store refused: another task is busy on the issue or pull request, or a
 * limit is reached.
 *
 * @example
 * renderSubmitRefusal({ command: "/agent", requester: "ann", refused, onPullRequest: true, eventKey: "comment:42" });
 */
export function renderSubmitRefusal(request: {
  command: string;
  requester: string;
  refused: SubmitRefused;
  onPullRequest: boolean;
  eventKey: string;
}): string {
  const { command, refused, eventKey } = request;
  return refused.status === "busy"
    ? renderBusyReply({
        command,
        activeTaskId: refused.activeTaskId,
        onPullRequest: request.onPullRequest,
        eventKey,
      })
    : renderLimitReply({ command, requester: request.requester, refusal: refused.refusal, eventKey });
}

/** A moment as people read it, rounded up to the minute so asking again then works: `2026-05-01 14:03 UTC`. */
function minuteUtc(at: Date): string {
  const rounded = new Date(Math.ceil(at.getTime() / 60_000) * 60_000);
  return `${rounded.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function limitSentence(refusal: LimitRefusal, who: string, command: string): string {
  const setting = inlineCode(`limits.${refusal.limit}`);
  switch (refusal.limit) {
    case "per_requester_active": {
      const tasks = refusal.activeTaskIds.join(", ");
      return `${who} already has ${refusal.activeTaskIds.length} unfinished tasks in this repository (tasks ${tasks}), the most ${setting} allows. A new one can start when one of them ends (${inlineCode(`${command} stop`)} on its issue or pull request stops it).`;
    }
    case "per_requester_per_hour":
      return `${who} started ${refusal.max} tasks in this repository within the last hour, the most ${setting} allows. Ask again after ${minuteUtc(refusal.freesAt)}.`;
    case "per_repository_per_hour":
      return `this repository started ${refusal.max} tasks within the last hour, the most ${setting} allows. Ask again after ${minuteUtc(refusal.freesAt)}.`;
  }
}

/**
 * The answer to a request over one of the repository's `limits`: which limit, and when it frees up.
 *
 * @example
 * renderLimitReply({ command: "/agent", requester: "ann", eventKey: "comment:42",
 *   refusal: { limit: "per_requester_per_hour", max: 10, freesAt: new Date("2026-05-01T14:02:10Z") } });
 */
export function renderLimitReply(request: {
  command: string;
  requester: string;
  refusal: LimitRefusal;
  eventKey: string;
}): string {
  const who = neutralizeMentions(`@${request.requester}`);
  return [
    refusedMarker(request.eventKey),
    `**Loopwright** did not start this task: ${limitSentence(request.refusal, who, request.command)} The limits are set in ${inlineCode(".github/loopwright.yml")}.`,
  ].join("\n");
}
