import { appendFile, writeFile } from "node:fs/promises";
import type { Logger } from "../logger.ts";
import type { Task } from "../store/tasks.ts";
import type { TaskContext } from "../worker/task-handler.ts";

/**
 * A task context for a task run in this process, outside the queue: its steps and its model turns
 * go to files (JSON Lines; the transcript in the replay format, so `loopwright replay` replays it)
 * instead of the database. Eval tasks have no daily token budget, so that check is a no-op.
 *
 * @example
 * const context = await createLocalTaskContext({ id: 3, repository: "/src/app", input: {}, signal,
 *   transcriptFile: "run/transcripts/app-4f1c.jsonl", stepsFile: "run/steps/app-4f1c.jsonl", log });
 * const session = await runAgentSession(deps, context, request);
 */
export async function createLocalTaskContext(options: {
  id: number;
  repository: string;
  input: Record<string, unknown>;
  signal: AbortSignal;
  transcriptFile: string;
  stepsFile: string;
  log: Logger;
}): Promise<TaskContext> {
  await writeFile(options.transcriptFile, "");
  await writeFile(options.stepsFile, "");
  const now = new Date();
  const task: Task = {
    id: options.id,
    kind: "eval",
    lane: "background",
    status: "running",
    repository: options.repository,
    installationId: null,
    number: null,
    requester: null,
    trigger: "cli",
    deliveryId: null,
    eventKey: null,
    input: options.input,
    attempt: 1,
    cancelRequested: false,
    sideEffects: {},
    prUrl: null,
    error: null,
    tokens: 0,
    worker: null,
    createdAt: now,
    startedAt: now,
    finishedAt: null,
    updatedAt: now,
  };
  // Chained so lines land in call order even if calls overlap.
  let steps = Promise.resolve();
  let seq = 0;
  return {
    task,
    signal: options.signal,
    steps: {
      record(step) {
        const line = JSON.stringify({ seq: seq++, at: new Date().toISOString(), ...step });
        steps = steps.then(() => appendFile(options.stepsFile, `${line}\n`));
        return steps;
      },
    },
    transcript: { append: (line) => appendFile(options.transcriptFile, `${line}\n`) },
    async recordSideEffect(key, value) {
      task.sideEffects[key] = value;
    },
    async addTokens(tokens) {
      task.tokens += tokens;
    },
    async enforceDailyTokenBudget() {},
    log: options.log,
  };
}
