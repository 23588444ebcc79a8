import { Probot } from "probot";
import type { Settings } from "../config/settings.ts";
import type { GitHubClient } from "../github/client.ts";
import { processDelivery } from "../github/intake.ts";
import { askForMissedDeliveries } from "../github/missed-deliveries.ts";
import { probotOptions } from "../github/octokit.ts";
import { storeWebhookDependencies } from "../github/store-dependencies.ts";
import { createApp } from "../index.ts";
import type { Logger } from "../logger.ts";
import type { AckTraffic } from "../store/ack-traffic.ts";
import type { Database } from "../store/database.ts";
import { INBOX_UPKEEP_QUEUE, INTAKE_QUEUE, type IntakeJob, pruneDeliveries } from "../store/inbox.ts";
import type { TaskQueue } from "../store/queue.ts";

/** Batches of deliveries one process takes in at once, and the deliveries fetched per batch. */
const INTAKE_CONCURRENCY = 2;
const INTAKE_BATCH = 20;
/** How often the inbox's upkeep runs (once per window across all processes). */
const UPKEEP_EVERY_SECONDS = 300;

export type IntakeWorker = { stop(): void };

/**
 * Takes stored webhook deliveries in (the intake queue): runs the App's handlers on each through a
 * Probot of its own — any process with the App's credentials does this, so a delivery stored by one
 * webhook server is handled by whichever worker is free. Every five minutes (once across all
 * processes) it asks GitHub again for deliveries that never arrived and prunes old ones. Resolves to
 * undefined when this process has no App credentials (it still stores deliveries).
 *
 * @example
 * const intake = await startIntake({ settings, db, queue, log });
 * intake?.stop();
 */
export async function startIntake(options: {
  settings: Settings;
  db: Database;
  queue: TaskQueue;
  log: Logger;
  /** The webhook route's traffic in this process: each delivery waits for a lull in it. */
  ackTraffic?: AckTraffic;
}): Promise<IntakeWorker | undefined> {
  const { settings, db, queue, log, ackTraffic } = options;
  const { appId, privateKey } = settings.github;
  if (appId === undefined || privateKey === undefined) {
    log.info("intake: no App credentials here; stored deliveries are taken in by processes that have them");
    return undefined;
  }
  const probot = new Probot(probotOptions(settings, log.child({ name: "intake" })));
  await probot.load(createApp(storeWebhookDependencies(db, queue)));
  const { boss } = queue;
  const takeIn = (deliveryId: string) =>
    processDelivery(
      {
        db,
        receive: (event) => probot.receive(event as Parameters<Probot["receive"]>[0]),
        retryLater: async (id, seconds) => {
          await boss.send(INTAKE_QUEUE, { deliveryId: id } satisfies IntakeJob, { startAfter: seconds });
        },
        log,
      },
      deliveryId,
    );
  await boss.work<IntakeJob>(
    INTAKE_QUEUE,
    {
      localConcurrency: INTAKE_CONCURRENCY,
      // A burst is fetched in batches: one queue round trip for many deliveries.
      batchSize: INTAKE_BATCH,
      pollingIntervalSeconds: 1,
      notifyPollingIntervalSeconds: 1,
      includeMetadata: false,
    },
    async (jobs) => {
      // One at a time within a batch: a failure sends only that delivery's job back for a retry
      // (the rest of the batch completes).
      for (const job of jobs) {
        if (typeof job.data?.deliveryId !== "string") continue;
        try {
          await ackTraffic?.lull();
          await takeIn(job.data.deliveryId);
        } catch (error) {
          await boss.fail(INTAKE_QUEUE, job.id, { message: String(error) }).catch(() => {});
        }
      }
      // A full batch means more may wait: fetch again at once instead of after the polling interval.
      if (jobs.length === INTAKE_BATCH) {
        for (const wip of boss.getWipData()) if (wip.name === INTAKE_QUEUE) boss.notifyWorker(wip.id);
      }
    },
  );
  await boss.work(INBOX_UPKEEP_QUEUE, { pollingIntervalSeconds: 5 }, async () => {
    const now = Date.now();
    const app = (await probot.auth()) as unknown as GitHubClient;
    await askForMissedDeliveries({
      app,
      db,
      since: new Date(now - settings.inbox.redeliveryLookbackHours * 3_600_000),
      log,
    }).catch((error: unknown) => log.warn({ err: error }, "intake: could not check GitHub's delivery log"));
    const pruned = await pruneDeliveries(db, new Date(now - settings.inbox.retentionDays * 86_400_000));
    if (pruned > 0) log.info({ pruned }, "intake: pruned old webhook deliveries");
  });
  const scheduleUpkeep = () =>
    boss
      .send(INBOX_UPKEEP_QUEUE, {}, { singletonKey: "inbox-upkeep", singletonSeconds: UPKEEP_EVERY_SECONDS })
      .catch((error: unknown) => log.warn({ err: error }, "intake: could not schedule the inbox upkeep"));
  await scheduleUpkeep();
  const timer = setInterval(scheduleUpkeep, UPKEEP_EVERY_SECONDS * 1000);
  timer.unref();
  log.info({ concurrency: INTAKE_CONCURRENCY }, "intake started");
  return { stop: () => clearInterval(timer) };
}
