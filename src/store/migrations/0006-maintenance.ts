/**
 * Scheduled maintenance (task kind `maintain`):
 * - `maintained_repositories`: each repository's configuration as last read from its default branch
 *   (caps, budgets, sandbox), what was wrong in the file, and the number of its dashboard issue;
 * - `schedules` gains the time zone, the entry as configured, the next slot (indexed for the due-query,
 *   skipping disabled and paused schedules), the pause, which run holds it, and the state of its one
 *   pull request: the branch, the commit Loopwright last pushed there (proof that nobody else pushed
 *   since), the patch id of the change, and how many of its pull requests in a row were closed unmerged;
 * - `schedule_runs`: one row per fired slot — unique on (schedule, slot), so a slot runs once however
 *   many processes tick — with the task it started and how it ended, for the dashboard.
 */
export const maintenance = {
  version: 6,
  name: "maintenance",
  sql: `
create table loopwright.maintained_repositories (
  repository text primary key,
  installation_id bigint not null,
  default_branch text not null,
  clone_url text not null,
  config jsonb not null default '{}'::jsonb,
  problems jsonb not null default '[]'::jsonb,
  dashboard_issue integer,
  synced_at timestamptz not null default now()
);
create index maintained_repositories_installation on loopwright.maintained_repositories (installation_id);

alter table loopwright.schedules
  add column timezone text not null default 'UTC',
  add column settings jsonb not null default '{}'::jsonb,
  add column next_run_at timestamptz,
  add column paused boolean not null default false,
  add column pause_reason text,
  add column running_task_id integer,
  add column branch text,
  add column branch_sha text,
  add column branch_only_ours boolean not null default true,
  add column pr_number integer,
  add column pr_url text,
  add column patch_id text,
  add column closed_streak integer not null default 0,
  add column closed_patch_id text;
create index schedules_due on loopwright.schedules (next_run_at) where enabled and not paused;

create table loopwright.schedule_runs (
  id integer generated always as identity primary key,
  schedule_id integer not null references loopwright.schedules (id) on delete cascade,
  slot timestamptz not null,
  trigger text not null check (trigger in ('schedule', 'run_now', 'command')),
  late boolean not null default false,
  task_id integer references loopwright.tasks (id) on delete set null,
  outcome text check (outcome in
    ('pr_opened', 'pr_updated', 'noop', 'unchanged', 'skipped', 'failed', 'budget_exhausted', 'cancelled')),
  reason text,
  pr_url text,
  created_at timestamptz not null default now(),
  finished_at timestamptz,
  unique (schedule_id, slot)
);
create index schedule_runs_recent on loopwright.schedule_runs (schedule_id, id desc);
create index schedule_runs_created on loopwright.schedule_runs (created_at);
`,
};
