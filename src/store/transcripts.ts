import { redactSecrets } from "../redact.ts";
import type { Queryable } from "./database.ts";
import { orderedWrites } from "./ordered-writes.ts";

export type TranscriptRecorder = {
  /** Stores the next model turn: one line of the replay transcript format, verbatim but for secrets. */
  append(line: string): Promise<void>;
};

/**
 * A recorder of one attempt's model turns, numbered from 0. Entries are stored whole (not capped)
 * so the attempt can be replayed exactly.
 *
 * @example
 * const transcript = createTranscriptRecorder(db, task.id, task.attempt);
 * await transcript.append(formatTranscriptLine(turn));
 */
export function createTranscriptRecorder(db: Queryable, taskId: number, attempt: number): TranscriptRecorder {
  const next = orderedWrites();
  return {
    append: (line) =>
      next((turn) =>
        db.query(
          "insert into loopwright.transcripts (task_id, attempt, turn, line) values ($1, $2, $3, $4)",
          [taskId, attempt, turn, redactSecrets(line)],
        ),
      ),
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
