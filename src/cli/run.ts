import path from "node:path";
import { summarizeEvent } from "../agent/event-summary.ts";
import type { AgentEvent, AgentOutcome } from "../agent/events.ts";
import { runAgent } from "../agent/loop.ts";
import type { ModelClient } from "../agent/model.ts";
import { createModelFromSettings } from "../agent/models/create-model.ts";
import { loadReplayModel } from "../agent/models/replay.ts";
import { recordTranscript } from "../agent/transcript.ts";
import { loadSettings } from "../config/settings.ts";
import { createSandbox } from "../workspace/sandbox.ts";
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
  const print = (event: AgentEvent) => {
    process.stdout.write(`${options.json ? JSON.stringify(event) : summarizeEvent(event)}\n`);
  };
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
    return EXIT_CODES[result.outcome];
  } finally {
    process.off("SIGINT", onInterrupt);
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
      model = await loadReplayModel(values.replay);
    } else {
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
