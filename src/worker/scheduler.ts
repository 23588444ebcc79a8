import type { Logger } from "../logger.ts";
import type { Database } from "../store/database.ts";
import type { TaskQueue } from "../store/queue.ts";
import { fireDueSchedules } from "../store/schedule-firing.ts";

export type SchedulerOptions = {
  db: Database;
  queue: TaskQueue;
  log: Logger;
  /** How often due schedules are looked for (each process; the database keeps slots unique). */
  tickMs?: number;
  /** Slots claimed per transaction; a full batch is followed by another tick at once. */
  batch?: number;
  /** A slot fired later than this after its time is shown as late (the scheduler was down). */
  lateAfterMs?: number;
  /** The clock (tests move it). */
  now?: () => Date;
  /**
   * Re-reads every installed repository's schedules; run once per `resyncEverySeconds` across all
   * processes (a pg-boss singleton job). Absent where the process has no GitHub App credentials.
   */
  resync?: () => Promise<void>;
  resyncEverySeconds?: number;
};

export type Scheduler = {
  /** Fires what is due now; resolves to how many runs it started. */
  tick(): Promise<number>;
  stop(): Promise<void>;
};

export const SCHEDULE_RESYNC_QUEUE = "loopwright-schedule-resync";

/**
 * Starts the scheduler of this process: every `tickMs` (with a little jitter, so processes do not
 * tick in step) it fires the due schedules. Any number of processes may run one; each slot still
 * runs once. A failed tick is logged and the next one tries again.
 *
 * @example
 * const scheduler = await startScheduler({ db, queue, log, resync });
 * await scheduler.stop();
 */
export async function startScheduler(options: SchedulerOptions): Promise<Scheduler> {
  const { log, queue } = options;
  const tickMs = options.tickMs ?? 15_000;
  const batch = options.batch ?? 200;
  const now = options.now ?? (() => new Date());
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> = Promise.resolve(0);

  const tick = () => {
    running = running
      .catch(() => 0)
      .then(async () => {
        let started = 0;
        for (;;) {
          const fired = await fireDueSchedules({ ...options, batch }, now());
          started += fired;
          if (fired < batch || stopped) break;
        }
        if (started > 0) log.info({ started }, "scheduler: started maintenance runs");
        return started;
      });
    return running;
  };
  const loop = () => {
    if (stopped) return;
    timer = setTimeout(
      () => {
        tick()
          .catch((error: unknown) => log.warn({ err: error }, "scheduler: tick failed; trying again"))
          .finally(loop);
      },
      tickMs * (0.9 + Math.random() * 0.2),
    );
    timer.unref();
  };

  let resyncTimer: NodeJS.Timeout | undefined;
  if (options.resync) {
    const resync = options.resync;
    const every = options.resyncEverySeconds ?? 6 * 3_600;
    await queue.boss.createQueue(SCHEDULE_RESYNC_QUEUE, { retryLimit: 2, retryDelay: 60 });
    await queue.boss.work(SCHEDULE_RESYNC_QUEUE, { pollingIntervalSeconds: 30 }, async () => {
      await resync();
    });
    const enqueueResync = () =>
      queue.boss
        .send(SCHEDULE_RESYNC_QUEUE, {}, { singletonKey: "schedule-resync", singletonSeconds: every })
        .catch((error: unknown) => log.warn({ err: error }, "scheduler: could not enqueue the resync"));
    await enqueueResync();
    resyncTimer = setInterval(enqueueResync, Math.min(every, 3_600) * 1000);
    resyncTimer.unref();
  }

  await tick().catch((error: unknown) => log.warn({ err: error }, "scheduler: first tick failed"));
  loop();
  log.info({ tickMs }, "scheduler started");
  return {
    tick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearInterval(resyncTimer);
      await running.catch(() => {});
    },
  };
}
