import { redactDeep } from "../redact.ts";
import type { Queryable } from "./database.ts";
import { groupCommit } from "./group-commit.ts";
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
  /**
   * Writes one step (payload redacted and capped), numbered in call order; resolves once it is
   * stored. Steps recorded while an earlier write is in flight share the next write: one multi-row
   * insert, one round trip. A caller that need not wait may leave the promise alone: `flush` reports
   * its failure.
   */
  record(step: StepInput): Promise<void>;
  /** Resolves once every step recorded so far is stored; rejects with the first write that failed. */
  flush(): Promise<void>;
};

/** Steps written in one insert at most (a long burst becomes several). */
const MAX_STEPS_PER_INSERT = 200;

type StepRowInput = {
  seq: number;
  kind: string;
  startedAt: Date;
  durationMs: number | null;
  payload: string;
};

/**
 * A recorder for one attempt of a task: steps are numbered from 0 in the order `record` is called,
 * and written as they happen — a lone step at once, steps arriving during a write together in the
 * next (see `groupCommit`).
 *
 * @example
 * const steps = createStepRecorder(db, task.id, task.attempt);
 * await steps.record({ kind: "tool_call", payload: { name: "shell", argv } });
 */
export function createStepRecorder(db: Queryable, taskId: number, attempt: number): StepRecorder {
  let seq = 0;
  const pending = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const write = groupCommit(
    async (rows: StepRowInput[]) => {
      await db.query(
        `insert into loopwright.steps (task_id, attempt, seq, kind, started_at, duration_ms, payload)
         select $1, $2, seq, kind, started_at, duration_ms, payload
         from unnest($3::int[], $4::text[], $5::timestamptz[], $6::int[], $7::jsonb[])
           as step(seq, kind, started_at, duration_ms, payload)`,
        [
          taskId,
          attempt,
          rows.map((row) => row.seq),
          rows.map((row) => row.kind),
          rows.map((row) => row.startedAt),
          rows.map((row) => row.durationMs),
          rows.map((row) => row.payload),
        ],
      );
      return rows.map(() => undefined);
    },
    { maxBatch: MAX_STEPS_PER_INSERT },
  );
  return {
    record(step) {
      const done = write({
        seq: seq++,
        kind: step.kind,
        startedAt: step.startedAt ?? new Date(),
        durationMs: step.durationMs === undefined ? null : Math.round(step.durationMs),
        payload: JSON.stringify(capPayload(redactDeep(step.payload ?? {}))),
      });
      pending.add(done);
      done.then(
        () => pending.delete(done),
        (error: unknown) => {
          pending.delete(done);
          failure ??= { error };
        },
      );
      return done;
    },
    async flush() {
      await Promise.allSettled([...pending]);
      if (failure) throw failure.error;
    },
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
