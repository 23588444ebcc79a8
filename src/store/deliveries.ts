import type { Queryable } from "./database.ts";

/**
 * Records a webhook delivery that starts no task; false when GitHub already delivered it (a retry).
 * Deliveries that create tasks are recorded by `createTask`.
 *
 * @example
 * if (!(await recordDelivery(db, context.id, context.name))) return; // seen before
 */
export async function recordDelivery(db: Queryable, deliveryId: string, event: string): Promise<boolean> {
  const { rows } = await db.query(
    `insert into loopwright.webhook_deliveries (delivery_id, event) values ($1, $2)
     on conflict (delivery_id) do nothing returning delivery_id`,
    [deliveryId, event],
  );
  return rows.length > 0;
}
