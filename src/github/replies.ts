import type { RepoConfig } from "../config/repo-config.ts";
import { codeBlock, escapeInline, inlineCode, marker, neutralizeMentions } from "./markdown.ts";

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
    `- ${inlineCode(`${command} stop`)}: stops the running task of this issue or pull request (closing it does too);`,
    `- ${inlineCode(`${command} help`)}: this message.`,
    "",
    `The command must start the comment. Settings live in ${inlineCode(".github/loopwright.yml")}.`,
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
 *
 * @example
 * renderRefusalReply("this issue is closed; reopen it to run /agent");
 */
export function renderRefusalReply(reason: string): string {
  return `**Loopwright** cannot do that here: ${escapeInline(reason)}.`;
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
