import type { Settings } from "../config/settings.ts";
import type { Logger } from "../logger.ts";
import type { AckTraffic } from "../store/ack-traffic.ts";
import { type Database, databaseOptions, openDatabase } from "../store/database.ts";
import { migrate } from "../store/migrate.ts";
import type { TaskQueue } from "../store/queue.ts";
import { detectSandboxMode } from "../workspace/sandbox.ts";
import type { Worker } from "./worker.ts";

/**
 * The modules that run tasks, loaded while the database opens rather than before: together they take
 * most of a second to load (Probot, the model SDK, pg-boss, the agent), and a process waiting for
 * them first would answer its health checks that much later.
 */
function loadRuntimeModules() {
  return Promise.all([
    import("../tasks/handlers.ts"),
    import("./worker.ts"),
    import("./intake-worker.ts"),
    import("./scheduler.ts"),
    import("./schedule-resync.ts"),
    import("../store/queue.ts"),
    import("../store/orphaned-jobs.ts"),
    import("../agent/tokens.ts"),
  ]);
}

export type WorkerRuntime = { db: Database; queue: TaskQueue; worker: Worker; stop(): Promise<void> };

/** Told what start-up is doing now, e.g. for the /ready answer. */
export type StartupPhaseListener = (phase: string) => void;

export type WorkerRuntimeOptions = {
  /** Told what start-up is doing now, e.g. for the /ready answer. */
  onPhase?: StartupPhaseListener;
  /** The webhook route's traffic in the same process, which the intake gives way to. */
  ackTraffic?: AckTraffic;
};

/**
 * Opens the database from the settings, migrates it, starts the queue, a worker with every
 * task kind's handler and the intake of stored webhook deliveries; `stop()` undoes it all in order (running tasks get the grace period).
 * Meanwhile it checks the sandbox once, so the first task does not wait for that check and a
 * sandbox that does not work here is logged at start-up (tasks then fail saying why). Each phase
 * is logged with its duration, so a slow start says where the time goes.
 *
 * @example
 * const runtime = await startWorkerRuntime(settings, log, { onPhase: (phase) => readiness.set(phase) });
 * await runtime.stop();
 */
export async function startWorkerRuntime(
  settings: Settings,
  log: Logger,
  options: WorkerRuntimeOptions = {},
): Promise<WorkerRuntime> {
  const { onPhase = () => {}, ackTraffic } = options;
  // The outcome is cached for the process; a failure is logged there and reported by each task.
  detectSandboxMode(settings.sandbox, log).catch(() => {});
  const phase = startupPhases(log, onPhase);
  const loading = loadRuntimeModules();
  // Settled here too, so a failure while the database opens is not also an unhandled rejection.
  loading.catch(() => {});
  const where = databaseOptions(settings);
  const db = await phase(
    where.url
      ? "connecting to PostgreSQL"
      : `opening the embedded database in ${where.dataDir} (a first start creates it, which takes a few seconds)`,
    () => openDatabase(where),
  );
  // Started with the database (above), awaited once it is open.
  const [
    { createTaskHandlers },
    { startWorker },
    { startIntake },
    { startScheduler },
    { scheduleResync },
    { startQueue },
    { releaseOrphanedJobs },
    { warmTokenizer },
  ] = await loading.catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
  try {
    await phase("applying database migrations", () => migrate(db));
    const tasks = await createTaskHandlers(settings, log, db);
    const queue = await phase("starting the task queue", () => startQueue(db));
    const released = await releaseOrphanedJobs(db, queue.boss);
    if (released > 0)
      log.info({ jobs: released }, "start-up: jobs a stopped process left unfinished are retried now");
    const worker = await startWorker({
      db,
      queue,
      handlers: tasks.handlers,
      log,
      concurrency: {
        interactive: settings.workerConcurrency,
        background: Math.max(1, Math.floor(settings.workerConcurrency / 2)),
      },
    });
    const intake = await startIntake({ settings, db, queue, log, ackTraffic });
    const scheduler = await startScheduler({
      db,
      queue,
      log,
      tickMs: settings.maintenance.tickSeconds * 1000,
      resync: scheduleResync(settings, db, queue, log),
    });
    // The first task's model turns count tokens: build the tokenizer now, off the start-up path.
    setTimeout(warmTokenizer, 1_000).unref();
    return {
      db,
      queue,
      worker,
      async stop() {
        intake?.stop();
        await scheduler.stop();
        await worker.stop();
        await queue.stop();
        await tasks.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}

/** Runs start-up steps one by one, telling the listener and the log what each is and how long it took. */
function startupPhases(log: Logger, onPhase: StartupPhaseListener) {
  return async <T>(what: string, step: () => Promise<T>): Promise<T> => {
    onPhase(what);
    log.info(`start-up: ${what}`);
    const started = performance.now();
    const result = await step();
    log.info({ ms: Math.round(performance.now() - started) }, `start-up: ${what}: done`);
    return result;
  };
}
