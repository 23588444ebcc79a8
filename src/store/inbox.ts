import type { PgBoss } from "pg-boss";
import type { Database, Queryable } from "./database.ts";

/** The queue of intake jobs: one per stored delivery. */
export const INTAKE_QUEUE = "loopwright-intake";
/** The queue of housekeeping runs (asking GitHub back for missed deliveries, pruning old ones). */
export const INBOX_UPKEEP_QUEUE = "loopwright-inbox-upkeep";

/** A webhook delivery as it arrived: what GitHub sent, verified, before anything was done with it. */
export type Delivery = {
  id: string;
  event: string;
  action: string | undefined;
  installationId: number | undefined;
  repository: string | undefined;
  payload: unknown;
};

export type StoredDelivery = Delivery & {
  receivedAt: Date;
  processedAt: Date | undefined;
  outcome: string | undefined;
};

/** A job's data: the delivery is the source of truth, the job only points at it. */
export type IntakeJob = { deliveryId: string };

/**
 * The intake queues' settings: a transient failure (GitHub down, rate limited, the database
 * restarting) is retried with backoff for about an hour before the job gives up.
 *
 * @example
 * await createInboxQueues(boss, 30);
 */
export async function createInboxQueues(boss: PgBoss, heartbeatSeconds: number): Promise<void> {
  await boss.createQueue(INTAKE_QUEUE, {
    // A process that died mid-intake (killed, its machine gone) hands the delivery to another soon.
    heartbeatSeconds,
    // Workers are woken when a delivery is stored, instead of finding it at their next poll.
    notify: true,
    retryLimit: 12,
    retryDelay: 5,
    retryBackoff: true,
    retryDelayMax: 600,
    expireInSeconds: 900,
    deleteAfterSeconds: 7 * 24 * 3_600,
  });
  await boss.createQueue(INBOX_UPKEEP_QUEUE, { retryLimit: 1, expireInSeconds: 600 });
}

/**
 * Stores deliveries and enqueues their intake jobs in one transaction, idempotently on the delivery
 * id: GitHub's retry of a stored delivery (or a second copy in the same batch) stores nothing and
 * enqueues nothing. Answers, per delivery in order, whether it was accepted (stored now).
 *
 * @example
 * const [accepted] = await acceptDeliveries(db, boss, [{ id, event: "issue_comment", action: "created", … }]);
 */
export async function acceptDeliveries(
  db: Database,
  boss: PgBoss,
  deliveries: Delivery[],
): Promise<boolean[]> {
  const firstOfId = new Map<string, number>();
  deliveries.forEach((delivery, index) => {
    if (!firstOfId.has(delivery.id)) firstOfId.set(delivery.id, index);
  });
  const unique = [...firstOfId.values()].map((index) => deliveries[index] as Delivery);
  const stored = await db.transaction(async (tx) => {
    const params: unknown[] = [];
    const rows = unique.map((delivery) => {
      params.push(
        delivery.id,
        delivery.event,
        delivery.action ?? null,
        delivery.installationId ?? null,
        delivery.repository ?? null,
        JSON.stringify(delivery.payload),
      );
      const at = params.length - 5;
      return `($${at}, $${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}, $${at + 5}::jsonb)`;
    });
    const { rows: inserted } = await tx.query<{ delivery_id: string }>(
      `insert into loopwright.webhook_deliveries
         (delivery_id, event, action, installation_id, repository, payload)
       values ${rows.join(", ")}
       on conflict (delivery_id) do nothing returning delivery_id`,
      params,
    );
    const ids = inserted.map((row) => row.delivery_id);
    if (ids.length > 0) {
      await boss.insert(
        INTAKE_QUEUE,
        ids.map((deliveryId) => ({ data: { deliveryId } satisfies IntakeJob })),
        { db: { executeSql: (text: string, values?: unknown[]) => tx.query(text, values) } },
      );
    }
    return new Set(ids);
  });
  return deliveries.map((delivery, index) => firstOfId.get(delivery.id) === index && stored.has(delivery.id));
}

type DeliveryRow = {
  delivery_id: string;
  event: string;
  action: string | null;
  installation_id: string | number | null;
  repository: string | null;
  payload: unknown;
  received_at: Date;
  processed_at: Date | null;
  outcome: string | null;
};

/**
 * A stored delivery, or undefined when there is none (or only its row, its payload pruned).
 *
 * @example
 * const delivery = await getDelivery(db, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
 */
export async function getDelivery(db: Queryable, id: string): Promise<StoredDelivery | undefined> {
  const { rows } = await db.query<DeliveryRow>(
    "select * from loopwright.webhook_deliveries where delivery_id = $1 and payload is not null",
    [id],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.delivery_id,
    event: row.event,
    action: row.action ?? undefined,
    installationId: row.installation_id === null ? undefined : Number(row.installation_id),
    repository: row.repository ?? undefined,
    payload: row.payload,
    receivedAt: row.received_at,
    processedAt: row.processed_at ?? undefined,
    outcome: row.outcome ?? undefined,
  };
}

/**
 * Records how a delivery's intake ended ("handled", or why it could not be).
 *
 * @example
 * await finishDelivery(db, delivery.id, "handled");
 */
export async function finishDelivery(db: Queryable, id: string, outcome: string): Promise<void> {
  await db.query(
    "update loopwright.webhook_deliveries set processed_at = now(), outcome = $2 where delivery_id = $1",
    [id, outcome.slice(0, 2000)],
  );
}

/**
 * Which of these delivery ids are stored (so they need no redelivery).
 *
 * @example
 * const known = await storedDeliveryIds(db, ["a", "b"]); // Set { "a" }
 */
export async function storedDeliveryIds(db: Queryable, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await db.query<{ delivery_id: string }>(
    "select delivery_id from loopwright.webhook_deliveries where delivery_id = any($1::text[])",
    [ids],
  );
  return new Set(rows.map((row) => row.delivery_id));
}

/**
 * Prunes deliveries received before `before`: rows no task points at are deleted, the others keep
 * their id and event but lose their payload. Resolves to how many were pruned.
 *
 * @example
 * await pruneDeliveries(db, new Date(Date.now() - 14 * 86_400_000));
 */
export async function pruneDeliveries(db: Queryable, before: Date): Promise<number> {
  const deleted = await db.query<{ delivery_id: string }>(
    `delete from loopwright.webhook_deliveries as delivery
     where received_at < $1
       and not exists (select 1 from loopwright.tasks where tasks.delivery_id = delivery.delivery_id)
     returning delivery_id`,
    [before],
  );
  const emptied = await db.query<{ delivery_id: string }>(
    `update loopwright.webhook_deliveries set payload = null
     where received_at < $1 and payload is not null returning delivery_id`,
    [before],
  );
  return deleted.rows.length + emptied.rows.length;
}
