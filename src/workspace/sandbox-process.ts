import { constants } from "node:os";
import type { Readable } from "node:stream";
import type { CommandResult } from "../agent/command-runner.ts";
import { OutputCapture } from "./sandbox-output.ts";
import { spawnLean } from "./spawn-helper.ts";

/** How long output may keep arriving after the command exited before the pipes are cut. */
const DRAIN_MS = 250;

/** One process tree to run: the full argv (sandbox wrapper included) and how to watch it. */
export type ProcessPlan = {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  timeoutMs: number;
  maxOutputBytes: number;
  signal?: AbortSignal;
  /** Contents written to file descriptors 3, 4, … of the child (bwrap reads them as files). */
  inputs?: string[];
};

/**
 * Runs a process in its own process group with stdin closed, captures stdout and stderr
 * interleaved under a cap, and kills the whole group with SIGKILL on timeout (exit 124), on
 * abort (rejects with the signal's reason) and once the main process has exited (so nothing
 * it started in the background lives on in the group).
 *
 * @example
 * const result = await runProcessTree({ argv: ["echo", "hi"], env: {}, cwd: "/", timeoutMs: 5000, maxOutputBytes: 1 << 20 });
 * result.output; // "hi\n"
 */
export async function runProcessTree(plan: ProcessPlan): Promise<CommandResult> {
  plan.signal?.throwIfAborted();
  const [program, ...args] = plan.argv;
  if (program === undefined) throw new Error("nothing to run: the command is empty");
  const started = performance.now();
  const capture = new OutputCapture(plan.maxOutputBytes);
  const inputs = plan.inputs ?? [];
  // Through the spawn helper when one runs: a large server process forks slowly.
  const child = spawnLean(program, args, { cwd: plan.cwd, env: plan.env, inputs });
  const killGroup = () => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // the group is already gone
    }
  };

  let timedOut = false;
  let aborted = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, plan.timeoutMs);
  const onAbort = () => {
    aborted = true;
    killGroup();
  };
  plan.signal?.addEventListener("abort", onAbort, { once: true });

  const outputs = [child.stdout, child.stderr].filter((stream): stream is Readable => stream !== null);
  for (const stream of outputs) stream.on("data", (chunk: Buffer) => capture.push(chunk));

  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  try {
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve, reject) => {
        child.once("error", reject);
        child.once("exit", (code, signal) => resolve({ code, signal }));
      },
    );
    killGroup();
    let drainTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      closed,
      new Promise<void>((resolve) => (drainTimer = setTimeout(resolve, DRAIN_MS))),
    ]);
    clearTimeout(drainTimer);
    for (const stream of outputs) stream.destroy();
    if (aborted) throw plan.signal?.reason ?? new Error("the command was aborted");
    const captured = capture.result();
    let exitCode = exit.code ?? 128 + (exit.signal ? constants.signals[exit.signal] : 0);
    if (timedOut) exitCode = 124;
    return { exitCode, ...captured, timedOut, durationMs: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
    plan.signal?.removeEventListener("abort", onAbort);
  }
}
