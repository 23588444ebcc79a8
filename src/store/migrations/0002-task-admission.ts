/**
 * What submitting needs to refuse duplicate and excess work in the database itself:
 * - `event_key`, the identity of the GitHub event that asked for a task (`comment:<id>`…), unique, so a
 *   redelivery under a new delivery id finds the task instead of making another. Existing tasks get
 *   the key of their comment or review (the oldest task of each keeps it);
 * - at most one unfinished fix or iterate task per issue or pull request. Where an earlier version
 *   queued several, one is kept (a running one, else the oldest) and the others are cancelled first
 *   (a worker running one of them stops it within seconds);
 * - an index for counting a requester's recent and unfinished tasks (the `limits` section).
 */
export const taskAdmission = {
  version: 2,
  name: "task-admission",
  sql: `
alter table loopwright.tasks add column event_key text unique;

update loopwright.tasks as task set event_key = keyed.event_key
from (
  select distinct on (event_key) id, event_key
  from (
    select id, case
      when input ? 'reviewId' then 'review:' || (input->>'reviewId')
      when trigger = 'comment' and input ? 'commentId' then 'comment:' || (input->>'commentId')
    end as event_key
    from loopwright.tasks
  ) as candidates
  where event_key is not null
  order by event_key, id
) as keyed
where task.id = keyed.id;

update loopwright.tasks as task
set cancel_requested = true, status = 'cancelled', finished_at = now(), updated_at = now(),
  error = 'cancelled: another task was already working on this issue or pull request'
from (
  select id, row_number() over (
    partition by repository, number order by (status = 'running') desc, id) as place
  from loopwright.tasks
  where kind in ('fix', 'iterate') and status in ('queued', 'running') and number is not null
) as unfinished
where task.id = unfinished.id and unfinished.place > 1;

create unique index tasks_one_active_per_issue on loopwright.tasks (repository, number)
  where kind in ('fix', 'iterate') and status in ('queued', 'running');

create index tasks_requester_recent on loopwright.tasks (repository, requester, created_at desc);
`,
};
