import os from "node:os";
import { collectAgentsMd } from "./agents-md.ts";
import type { SandboxPolicy } from "./command-runner.ts";
import type { InputItem } from "./model.ts";
import { SHELL_DEFAULT_TIMEOUT_MS, SHELL_MAX_TIMEOUT_MS } from "./tools/shell.ts";
import type { WorkspaceFiles } from "./workspace-files.ts";

export type PrefixOptions = {
  root: string;
  cwd: string;
  policy: SandboxPolicy;
  /** Where AGENTS.md files are read from (inside the sandbox). */
  files: WorkspaceFiles;
  /** The date given to the model; fixed when the task starts so the prefix never changes. */
  now: Date;
  shell?: string;
};

const message = (role: "developer" | "user", text: string): InputItem => ({
  type: "message",
  role,
  content: [{ type: "input_text", text }],
});

/**
 * The developer message that tells the model where its commands run.
 *
 * @example
 * describeSandbox({ mode: "bwrap", network: false, writableRoots: ["/w"] });
 * // "<sandbox>\nCommands run in the `bwrap` sandbox. Network access is off…"
 */
export function describeSandbox(policy: SandboxPolicy): string {
  const roots =
    policy.writableRoots.length > 0 ? policy.writableRoots.map((root) => `- ${root}`).join("\n") : "- (none)";
  return [
    "<sandbox>",
    `Commands run in the \`${policy.mode}\` sandbox. Network access is ${policy.network ? "on" : "off: installing packages or fetching URLs will fail, so work with what is in the workspace"}.`,
    `Writable folders:\n${roots}`,
    `Each command is killed after ${SHELL_DEFAULT_TIMEOUT_MS / 1000} seconds unless it asks for more with timeout_ms (at most ${SHELL_MAX_TIMEOUT_MS / 1000} seconds). Commands cannot read from a terminal.`,
    "</sandbox>",
  ].join("\n");
}

/**
 * The environment context Codex gives: working folder, shell, operating system, date.
 *
 * @example
 * describeEnvironment({ cwd: "/w", shell: "bash", now: new Date("2025-01-02") });
 */
export function describeEnvironment(options: { cwd: string; shell: string; now: Date }): string {
  return [
    "<environment_context>",
    `  <cwd>${options.cwd}</cwd>`,
    `  <shell>${options.shell}</shell>`,
    `  <os>${os.type()} ${os.release()} (${os.arch()})</os>`,
    `  <date>${options.now.toISOString().slice(0, 10)}</date>`,
    "</environment_context>",
  ].join("\n");
}

/**
 * The fixed items every request starts with, after the instructions: the sandbox description (developer),
 * the project's AGENTS.md instructions (user, when there are any), and the environment context (user).
 * Built once per task; compaction keeps them as they are.
 *
 * @example
 * const prefix = await buildPrefix({ root, cwd: root, policy: runner.policy, files: runner.files, now: new Date() });
 */
export async function buildPrefix(options: PrefixOptions): Promise<InputItem[]> {
  const items = [message("developer", describeSandbox(options.policy))];
  const agentsMd = await collectAgentsMd(options.files, options.root, options.cwd);
  if (agentsMd !== "")
    items.push(message("user", `Project instructions from AGENTS.md files:\n\n${agentsMd}`));
  items.push(
    message(
      "user",
      describeEnvironment({ cwd: options.cwd, shell: options.shell ?? "bash", now: options.now }),
    ),
  );
  return items;
}

/**
 * The user message that carries the task.
 *
 * @example
 * taskMessage("Fix the failing test in src/sum.ts");
 */
export function taskMessage(task: string): InputItem {
  return message("user", task);
}
