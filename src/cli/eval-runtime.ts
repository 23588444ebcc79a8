import { loadSettings, type Settings } from "../config/settings.ts";
import { createLogger } from "../logger.ts";
import type { AgentSessionDependencies } from "../tasks/agent-session.ts";
import { Workspaces } from "../workspace/workspace.ts";

/** What `eval mine` and `eval run` work with, and how to close it. */
export type EvalRuntime = AgentSessionDependencies & { settings: Settings; close(): Promise<void> };

/**
 * Opens the settings, a quiet logger (warnings only unless LOG_LEVEL asks for more: stderr is the
 * progress) and the workspaces (mirror cache and working trees in LOOPWRIGHT_DATA_DIR).
 *
 * @example
 * const runtime = await openEvalRuntime();
 * try { await mineTasks(runtime, options); } finally { await runtime.close(); }
 */
export async function openEvalRuntime(): Promise<EvalRuntime> {
  const settings = loadSettings();
  const log = createLogger({ logLevel: process.env.LOG_LEVEL ? settings.logLevel : "warn" });
  const workspaces = await Workspaces.open({
    dataDir: settings.dataDir,
    cacheMaxBytes: settings.cacheMaxMegabytes * 2 ** 20,
    logger: log,
  });
  return { settings, log, workspaces, close: () => workspaces.close() };
}

/**
 * An abort signal for a command: Ctrl-C (or SIGTERM) aborts it once, saying so on stderr; a second
 * Ctrl-C kills the process as usual. `dispose()` removes the handlers.
 *
 * @example
 * const interrupt = onInterrupt("loopwright eval run: interrupted; stopping the running tasks");
 * try { … interrupt.signal … } finally { interrupt.dispose(); }
 */
export function onInterrupt(message: string): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = () => {
    process.stderr.write(`${message}\n`);
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
    controller.abort(new Error("interrupted"));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
