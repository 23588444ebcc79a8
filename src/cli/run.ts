import path from "node:path";
import type { AgentEvent, AgentOutcome } from "../agent/events.ts";
import type { ModelClient } from "../agent/model.ts";
import type { FileStat } from "../workspace/diffstat.ts";
import { defineCommand, integerOption, UsageError } from "./command.ts";

/** Exit codes by outcome, so scripts can tell a budget stop from a model failure or an interrupt. */
const EXIT_CODES: Record<AgentOutcome, number> = {
  completed: 0,
  model_error: 1,
  budget_exhausted: 3,
  aborted: 130,
};

export type AgentRunOptions = {
  model: ModelClient;
  task: string;
  cwd: string | undefined;
  transcriptOut: string | undefined;
  maxSteps: number | undefined;
  json: boolean;
};

/**
 * Runs one agent task in a local folder for the CLI: prints each step as it happens (a line, or a
 * JSON object per line with `json`), then the final message; SIGINT aborts the task cleanly.
 * Resolves to the exit code: 0 for a final answer, else 1 (model error), 3 (budget) or 130 (aborted).
 *
 * @example
 * process.exitCode = await runAgentFromCli({ model, task: "Fix the tests", cwd: ".", transcriptOut: undefined, maxSteps: 20, json: false });
 */
export async function runAgentFromCli(options: AgentRunOptions): Promise<number> {
  // Loaded here, not above: `run --help` and argument errors answer without them.
  const [{ loadSettings }, { createSandbox }, { recordTranscript }, { runAgent }, printer, snapshots] =
    await Promise.all([
      import("../config/settings.ts"),
      import("../workspace/sandbox.ts"),
      import("../agent/transcript.ts"),
      import("../agent/loop.ts"),
      import("./step-printer.ts"),
      import("../workspace/folder-snapshots.ts"),
    ]);
  const settings = loadSettings();
  const cwd = path.resolve(options.cwd ?? ".");
  await using runner = await createSandbox({ mode: settings.sandbox, workspace: cwd });
  const model = options.transcriptOut
    ? await recordTranscript(options.model, options.transcriptOut)
    : options.model;
  const controller = new AbortController();
  const onInterrupt = () => {
    process.stderr.write("loopwright: interrupted; stopping the task (Ctrl-C again to force)\n");
    process.off("SIGINT", onInterrupt);
    controller.abort();
  };
  process.on("SIGINT", onInterrupt);
  const steps = printer.createStepPrinter((line) => process.stdout.write(`${line}\n`));
  const print = (event: AgentEvent) => {
    if (options.json) process.stdout.write(`${JSON.stringify(event)}\n`);
    else steps.print(event);
  };
  // The folder before the agent touches it, so the end shows only the agent's changes.
  const changes = options.json ? undefined : await startChangeTracking(snapshots.openFolderSnapshots, cwd);
  try {
    const result = await runAgent({
      model,
      runner,
      cwd,
      task: options.task,
      signal: controller.signal,
      onEvent: print,
      ...(options.maxSteps === undefined ? {} : { budget: { maxSteps: options.maxSteps } }),
    });
    if (result.outcome === "completed") {
      if (!options.json) process.stdout.write(`\n${result.message}\n`);
    } else {
      process.stderr.write(`loopwright: ${result.message}\n`);
    }
    const changed = await changes?.changed();
    if (changed) process.stdout.write(`${printer.changeSummary(changed).join("\n")}\n`);
    return EXIT_CODES[result.outcome];
  } finally {
    process.off("SIGINT", onInterrupt);
    await changes?.close();
  }
}

/**
 * Snapshots `cwd` now; `changed()` then lists the files changed since, with their lines. When the
 * folder cannot be snapshotted (no git on this machine), it says so once and the run goes on.
 */
async function startChangeTracking(
  open: typeof import("../workspace/folder-snapshots.ts").openFolderSnapshots,
  cwd: string,
): Promise<{ changed(): Promise<FileStat[] | undefined>; close(): Promise<void> } | undefined> {
  const cannot = (error: unknown) =>
    process.stderr.write(`loopwright: cannot tell which files changed (${(error as Error).message})\n`);
  try {
    const snapshots = await open(cwd);
    const before = await snapshots.take().catch(async (error: unknown) => {
      await snapshots.close();
      throw error;
    });
    return {
      changed: () =>
        snapshots.take().then(
          (after) => snapshots.changes(before, after),
          (error: unknown) => {
            cannot(error);
            return undefined;
          },
        ),
      close: () => snapshots.close(),
    };
  } catch (error) {
    cannot(error);
    return undefined;
  }
}

function taskText(positionals: string[]): string {
  const task = positionals[0]?.trim() ?? "";
  if (task === "") throw new UsageError("the task text is empty; say what the agent should do");
  return task;
}

export const runCommand = defineCommand({
  name: "run",
  usage: `
Usage: loopwright run [--cwd DIR] [--model NAME] [--api responses|chat] [--replay FILE]
                      [--transcript-out FILE] [--max-steps N] [--json] "TASK"

Runs the agent loop on DIR (default: the current folder) until the model gives a final answer or a
budget runs out; commands run in the sandbox (LOOPWRIGHT_SANDBOX). The model comes from
LOOPWRIGHT_MODEL / LOOPWRIGHT_API / OPENAI_API_KEY / OPENAI_BASE_URL unless given here; --replay
uses a recorded transcript instead (see docs/replay-format.md), and --transcript-out records this
run in that format. Prints one line per step (JSON Lines with --json), then the final message.
Exit status: 0 final answer, 1 model error, 3 budget exhausted, 130 interrupted (Ctrl-C).`,
  options: {
    cwd: { type: "string" },
    model: { type: "string" },
    api: { type: "string" },
    replay: { type: "string" },
    "transcript-out": { type: "string" },
    "max-steps": { type: "string" },
    json: { type: "boolean" },
  },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const task = taskText(positionals);
    const maxSteps = integerOption("max-steps", values["max-steps"], 1);
    if (values.api !== undefined && values.api !== "responses" && values.api !== "chat") {
      throw new UsageError(`--api expects responses or chat (got ${JSON.stringify(values.api)})`);
    }
    let model: ModelClient;
    if (values.replay !== undefined) {
      model = await (await import("../agent/models/replay.ts")).loadReplayModel(values.replay);
    } else {
      const [{ loadSettings }, { createModelFromSettings }] = await Promise.all([
        import("../config/settings.ts"),
        import("../agent/models/create-model.ts"),
      ]);
      model = createModelFromSettings(loadSettings().model, { api: values.api, name: values.model });
    }
    return runAgentFromCli({
      model,
      task,
      cwd: values.cwd,
      transcriptOut: values["transcript-out"],
      maxSteps,
      json: values.json ?? false,
    });
  },
});
