import { startSpawnHelper } from "../workspace/spawn-helper.ts";
import { defineCommand, UsageError } from "./command.ts";
import { waitForShutdownSignal } from "./signals.ts";

export const workerCommand = defineCommand({
  name: "worker",
  usage: `
Usage: loopwright worker

Claims task jobs from the queue in DATABASE_URL and runs them, LOOPWRIGHT_WORKER_CONCURRENCY
interactive tasks at a time (half as many review/scheduled ones, and as many eval tasks of
'loopwright eval run'). Start as many worker processes, on as many machines, as you like. On
SIGINT or SIGTERM it stops claiming, lets running tasks finish within 30 seconds, hands the rest
back to the queue for another worker, and exits 0.`,
  options: {},
  async run() {
    // Before the heavy modules and the database load: children (git, bwrap) start from this small helper.
    startSpawnHelper();
    // Loaded when the command runs: its --help and argument errors answer without them.
    const [{ loadSettings }, { createLogger }, { startWorkerRuntime }] = await Promise.all([
      import("../config/settings.ts"),
      import("../logger.ts"),
      import("../worker/run-worker.ts"),
    ]);
    const settings = loadSettings();
    if (!settings.database.url) {
      throw new UsageError(
        "a separate worker needs DATABASE_URL (a PostgreSQL server shared with the webhook server); " +
          "with the embedded database, `loopwright serve` runs the worker itself",
      );
    }
    const log = createLogger(settings);
    const runtime = await startWorkerRuntime(settings, log);
    const signal = await waitForShutdownSignal();
    log.info({ signal }, "stopping");
    await runtime.stop();
    return 0;
  },
});
