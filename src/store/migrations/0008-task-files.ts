/**
 * `task_files`: named texts a task carries beyond its input, which is capped to keep task rows small
 * (lists and dashboards read many rows at once). An eval task's request (the task from the set with
 * its patches and test lists, a replay transcript) goes there when it is queued, and its result, the
 * agent's diff and the scoring test output when it ends, so a worker on any machine can run it and
 * the `eval run` that queued it can collect it.
 */
export const taskFiles = {
  version: 8,
  name: "task-files",
  sql: `
create table loopwright.task_files (
  task_id integer not null references loopwright.tasks (id) on delete cascade,
  name text not null,
  content text not null,
  written_at timestamptz not null default now(),
  primary key (task_id, name)
);
`,
};
