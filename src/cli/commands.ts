import { applyPatchCommand } from "./apply-patch.ts";
import type { CliCommand } from "./command.ts";
import { replayCommand } from "./replay.ts";
import { runCommand } from "./run.ts";
import { sandboxCommand } from "./sandbox.ts";
import { serveCommand } from "./serve.ts";
import { submitCommand } from "./submit.ts";
import { taskCommand, tasksCommand } from "./tasks.ts";
import { workerCommand } from "./worker.ts";

/** Every `loopwright` subcommand, in the order `loopwright --help` lists them. */
export const commands: CliCommand[] = [
  serveCommand,
  applyPatchCommand,
  runCommand,
  replayCommand,
  workerCommand,
  submitCommand,
  tasksCommand,
  taskCommand,
  sandboxCommand,
];
