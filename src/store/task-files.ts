import type { Queryable } from "./database.ts";

/**
 * Stores a named text of a task whole (not capped, unlike its input and step payloads), replacing an
 * earlier one of the same name. NUL characters are dropped: PostgreSQL text cannot hold them.
 *
 * @example
 * await writeTaskFile(tx, task.id, "eval/request.json", JSON.stringify(request));
 */
export async function writeTaskFile(
  db: Queryable,
  taskId: number,
  name: string,
  content: string,
): Promise<void> {
  await db.query(
    `insert into loopwright.task_files (task_id, name, content) values ($1, $2, $3)
     on conflict (task_id, name) do update set content = excluded.content, written_at = now()`,
    [taskId, name, content.includes("\u0000") ? content.replaceAll("\u0000", "") : content],
  );
}

/**
 * A named text of a task, or undefined when it has none of that name.
 *
 * @example
 * const diff = await readTaskFile(db, 42, "eval/patch.diff");
 */
export async function readTaskFile(db: Queryable, taskId: number, name: string): Promise<string | undefined> {
  const { rows } = await db.query<{ content: string }>(
    "select content from loopwright.task_files where task_id = $1 and name = $2",
    [taskId, name],
  );
  return rows[0]?.content;
}
