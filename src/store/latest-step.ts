import type { Queryable } from "./database.ts";
import type { Step } from "./steps.ts";

/**
 * A task's latest step of one kind (over all attempts), or undefined when it has none: e.g. its
 * current plan, without reading the whole step log.
 *
 * @example
 * const planStep = await latestStepOfKind(db.reader, 42, "plan_update");
 */
export async function latestStepOfKind(
  db: Queryable,
  taskId: number,
  kind: string,
): Promise<Step | undefined> {
  const { rows } = await db.query<{
    attempt: number;
    seq: number;
    started_at: Date;
    duration_ms: number | null;
    payload: unknown;
  }>(
    `select attempt, seq, started_at, duration_ms, payload from loopwright.steps
     where task_id = $1 and kind = $2 order by attempt desc, seq desc limit 1`,
    [taskId, kind],
  );
  const row = rows[0];
  return (
    row && {
      taskId,
      attempt: row.attempt,
      seq: row.seq,
      kind,
      startedAt: row.started_at,
      durationMs: row.duration_ms,
      payload: row.payload,
    }
  );
}
