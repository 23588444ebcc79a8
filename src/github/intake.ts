import type { Logger } from "../logger.ts";
import type { Queryable } from "../store/database.ts";
import { finishDelivery, getDelivery } from "../store/inbox.ts";
import { transientGitHubFailure } from "./errors.ts";

export type IntakeDependencies = {
  db: Queryable;
  /** Runs the App's webhook handlers on one event (Probot's `receive`). */
  receive(event: { id: string; name: string; payload: unknown }): Promise<void>;
  /** Enqueues the delivery's intake again after `seconds` (when a rate limit lifts). */
  retryLater(deliveryId: string, seconds: number): Promise<void>;
  log: Logger;
};

/** Connection failures of PostgreSQL (a restart, a failover): the intake is retried, not failed. */
const DATABASE_UNAVAILABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "08000",
  "08001",
  "08003",
  "08006",
]);

function databaseUnavailable(error: unknown): boolean {
  const failures = error instanceof AggregateError ? error.errors : [error];
  return failures.some((failure) => {
    const code = (failure as { code?: unknown } | null)?.code;
    return (
      (typeof code === "string" && DATABASE_UNAVAILABLE.has(code)) ||
      /Connection terminated|connection.*(closed|ended)/i.test(String((failure as Error)?.message))
    );
  });
}

/**
 * What the intake job does with one stored delivery: runs the App's handlers on it (config,
 * triggers, permission, limits, task creation, reaction, replies) and records the outcome. A delivery
 * already processed is skipped, so a retried job does nothing twice. GitHub outages, rate limits and
 * database restarts are thrown for the queue to retry with backoff (a rate limit's reset time is
 * honoured by enqueuing the delivery again for then); anything else ends the delivery with the reason.
 *
 * @example
 * await processDelivery({ db, receive: (event) => probot.receive(event), retryLater, log }, "d-1");
 */
export async function processDelivery(deps: IntakeDependencies, deliveryId: string): Promise<void> {
  const delivery = await getDelivery(deps.db, deliveryId);
  const log = deps.log.child({ delivery: deliveryId });
  if (!delivery) {
    log.warn("intake: the delivery is not stored (pruned, or never accepted); nothing to do");
    return;
  }
  if (delivery.processedAt) {
    log.info({ outcome: delivery.outcome }, "intake: the delivery was processed already");
    return;
  }
  try {
    await deps.receive({ id: delivery.id, name: delivery.event, payload: delivery.payload });
  } catch (error) {
    const transient = transientGitHubFailure(error);
    if (transient?.kind === "rate_limit" && transient.resetAt) {
      const seconds = Math.max(1, Math.ceil((transient.resetAt.getTime() - Date.now()) / 1000));
      log.warn({ seconds }, `intake: ${transient.message}; trying again when it lifts`);
      await deps.retryLater(delivery.id, seconds);
      return;
    }
    if (transient || databaseUnavailable(error)) throw transient ?? error;
    const reason = error instanceof Error ? error.message : String(error);
    log.error({ err: error, event: delivery.event }, "intake: the delivery could not be handled");
    await finishDelivery(deps.db, delivery.id, `failed: ${reason}`);
    return;
  }
  await finishDelivery(deps.db, delivery.id, "handled");
}
