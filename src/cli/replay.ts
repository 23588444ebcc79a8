import path from "node:path";
import { defineCommand } from "./command.ts";
import { runAgentFromCli } from "./run.ts";

export const replayCommand = defineCommand({
  name: "replay",
  usage: `
Usage: loopwright replay FILE [--cwd DIR] [--json]

Runs the agent loop on DIR (default: the current folder) with the model's turns taken from FILE, a
transcript in the format of docs/replay-format.md (as written by 'loopwright run --transcript-out').
The tools really run, in the sandbox, so the folder should be in the state the recording started from.
Exit status as for 'loopwright run'; replaying past the end of the transcript is a model error.`,
  options: { cwd: { type: "string" }, json: { type: "boolean" } },
  positionals: { min: 1, max: 1 },
  async run({ values, positionals }) {
    const file = positionals[0] as string;
    const model = await (await import("../agent/models/replay.ts")).loadReplayModel(file);
    return runAgentFromCli({
      model,
      task: `Replay of the recorded transcript ${path.basename(file)}.`,
      cwd: values.cwd,
      transcriptOut: undefined,
      maxSteps: undefined,
      json: values.json ?? false,
    });
  },
});
