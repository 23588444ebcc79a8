import type { CliCommand } from "./command.ts";

/**
 * A subcommand as `loopwright --help` lists it; its module (and what that imports) loads only when
 * run. `ownsData`: it writes Loopwright's data folder (database, mirrors, workspaces), so it runs
 * with a private umask.
 */
export type CommandEntry = { name: string; summary: string; ownsData?: boolean; load(): Promise<CliCommand> };

/** Every `loopwright` subcommand, in the order `loopwright --help` lists them. */
export const commands: CommandEntry[] = [
  {
    name: "serve",
    ownsData: true,
    summary: "Run the GitHub App: webhook server (setup page until the App is registered)",
    load: async () => (await import("./serve.ts")).serveCommand,
  },
  {
    name: "web",
    ownsData: true,
    summary: "Serve only the dashboard, its API and /metrics against DATABASE_URL",
    load: async () => (await import("./web.ts")).webCommand,
  },
  {
    name: "apply-patch",
    summary: "Apply a Codex-format patch (*** Begin Patch …) from stdin to the current directory",
    load: async () => (await import("./apply-patch.ts")).applyPatchCommand,
  },
  {
    name: "run",
    summary: "Run the agent on a local folder: one task, steps printed as they happen",
    load: async () => (await import("./run.ts")).runCommand,
  },
  {
    name: "replay",
    summary: "Replay a recorded transcript through the agent loop on a local folder",
    load: async () => (await import("./replay.ts")).replayCommand,
  },
  {
    name: "worker",
    ownsData: true,
    summary: "Run a worker that claims tasks from the PostgreSQL queue (DATABASE_URL)",
    load: async () => (await import("./worker.ts")).workerCommand,
  },
  {
    name: "submit",
    ownsData: true,
    summary: "Queue an agent task on any git repository; a worker pushes agent/run-<id> back to it",
    load: async () => (await import("./submit.ts")).submitCommand,
  },
  {
    name: "tasks",
    ownsData: true,
    summary: "List recent tasks",
    load: async () => (await import("./tasks.ts")).tasksCommand,
  },
  {
    name: "task",
    ownsData: true,
    summary: "Show one task and its step log",
    load: async () => (await import("./tasks.ts")).taskCommand,
  },
  {
    name: "sandbox",
    summary: "Run one command in the sandbox exactly as the agent's shell tool would",
    load: async () => (await import("./sandbox.ts")).sandboxCommand,
  },
  {
    name: "config",
    summary: "Check a repository's .github/loopwright.yml as the bot would: 'config check [FILE]'",
    load: async () => (await import("./config-check.ts")).configCommand,
  },
  {
    name: "doctor",
    summary: "Check Node, git, the sandbox, the database, the model endpoint and the App's credentials",
    load: async () => (await import("./doctor.ts")).doctorCommand,
  },
  {
    name: "eval",
    ownsData: true,
    summary: "Measure the agent on a repository's own history: mine tasks, run and score them, compare runs",
    load: async () => (await import("./eval.ts")).evalCommand,
  },
];
