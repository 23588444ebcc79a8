import type { Queryable } from "./database.ts";

export type TranscriptRecorder = {
  /** Stores the next model turn, exactly as the replay transcript format holds it. */
  append(entry: unknown): Promise<void>;
};

/**
 * A recorder of one attempt's model turns, numbered from 0. Entries are stored whole (not capped)
 * so the attempt can be replayed exactly.
 *
 * @example
 * const transcript = createTranscriptRecorder(db, task.id, task.attempt);
 * await transcript.append(turnEntry);
 */
export function createTranscriptRecorder(db: Queryable, taskId: number, attempt: number): TranscriptRecorder {
  let turn = 0;
  let last: Promise<void> = Promise.resolve();
  return {
    append(entry) {
      const current = turn++;
      const write = last.then(async () => {
        await db.query(
          "insert into loopwright.transcripts (task_id, attempt, turn, line) values ($1, $2, $3, $4)",
          [taskId, attempt, current, JSON.stringify(entry)],
        );
      });
      last = write.catch(() => {});
      return write;
    },
  };
}

/**
 * The transcript of one attempt (the latest by default) as JSONL, ready for `loopwright replay`.
 *
 * @example
 * await writeFile("task-42.jsonl", await readTranscript(db.reader, 42));
 */
export async function readTranscript(db: Queryable, taskId: number, attempt?: number): Promise<string> {
  const { rows } = await db.query<{ line: string }>(
    `select line from loopwright.transcripts
     where task_id = $1 and attempt = coalesce($2::int,
       (select max(attempt) from loopwright.transcripts where task_id = $1))
     order by turn`,
    [taskId, attempt ?? null],
  );
  return rows.map((row) => `${row.line}\n`).join("");
}
