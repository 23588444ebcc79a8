import { redactDeep } from "../redact.ts";
import type { Queryable } from "./database.ts";
import { orderedWrites } from "./ordered-writes.ts";
import { capPayload } from "./payload.ts";

export type Step = {
  taskId: number;
  attempt: number;
  /** Order within the attempt, from 0. */
  seq: number;
  kind: string;
  startedAt: Date;
  durationMs: number | null;
  payload: unknown;
};

/** What a handler records; the recorder fills in task, attempt and sequence. */
export type StepInput = { kind: string; payload?: unknown; startedAt?: Date; durationMs?: number };

export type StepRecorder = {
  /** Writes one step now (payload redacted and capped), in call order. */
  record(step: StepInput): Promise<void>;
};

/**
 * A recorder for one attempt of a task: steps are written as they happen, numbered from 0 in the
 * order `record` is called, even when calls overlap.
 *
 * @example
 * const steps = createStepRecorder(db, task.id, task.attempt);
 * await steps.record({ kind: "tool_call", payload: { name: "shell", argv } });
 */
export function createStepRecorder(db: Queryable, taskId: number, attempt: number): StepRecorder {
  const next = orderedWrites();
  return {
    record: (step) =>
      next((seq) =>
        db.query(
          `insert into loopwright.steps (task_id, attempt, seq, kind, started_at, duration_ms, payload)
           values ($1, $2, $3, $4, $5, $6, $7::jsonb)`,
          [
            taskId,
            attempt,
            seq,
            step.kind,
            step.startedAt ?? new Date(),
            step.durationMs === undefined ? null : Math.round(step.durationMs),
            JSON.stringify(capPayload(redactDeep(step.payload ?? {}))),
          ],
        ),
      ),
  };
}

type StepRow = {
  task_id: number;
  attempt: number;
  seq: number;
  kind: string;
  started_at: Date;
  duration_ms: number | null;
  payload: unknown;
};

/**
 * A task's step log, all attempts in order; `after` returns only steps past a cursor (for following).
 *
 * @example
 * const steps = await listSteps(db.reader, 42);
 * const newer = await listSteps(db.reader, 42, { attempt: 2, seq: 7 });
 */
export async function listSteps(
  db: Queryable,
  taskId: number,
  after?: { attempt: number; seq: number },
): Promise<Step[]> {
  const { rows } = await db.query<StepRow>(
    `select * from loopwright.steps where task_id = $1 and (attempt, seq) > ($2, $3)
     order by attempt, seq limit 10000`,
    [taskId, after?.attempt ?? 0, after?.seq ?? -1],
  );
  return rows.map((row) => ({
    taskId: row.task_id,
    attempt: row.attempt,
    seq: row.seq,
    kind: row.kind,
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    payload: row.payload,
  }));
}
