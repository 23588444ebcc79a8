/** Tasks, their step logs and transcripts, webhook deliveries, and repository schedules. */
export const initial = {
  version: 1,
  name: "initial",
  sql: `
create table loopwright.webhook_deliveries (
  delivery_id text primary key,
  event text not null,
  received_at timestamptz not null default now()
);

create table loopwright.tasks (
  id integer generated always as identity primary key,
  kind text not null,
  lane text not null check (lane in ('interactive', 'background')),
  status text not null default 'queued'
    check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'budget_exhausted')),
  repository text not null,
  installation_id bigint,
  number integer,
  requester text,
  trigger text not null,
  delivery_id text unique references loopwright.webhook_deliveries (delivery_id),
  input jsonb not null default '{}'::jsonb,
  attempt integer not null default 0,
  cancel_requested boolean not null default false,
  side_effects jsonb not null default '{}'::jsonb,
  pr_url text,
  error text,
  tokens bigint not null default 0,
  worker text,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz not null default now()
);
create index tasks_status_recent on loopwright.tasks (status, id desc);
create index tasks_repository_recent on loopwright.tasks (repository, created_at desc);

create table loopwright.steps (
  task_id integer not null references loopwright.tasks (id) on delete cascade,
  attempt integer not null,
  seq integer not null,
  kind text not null,
  started_at timestamptz not null,
  duration_ms integer,
  payload jsonb not null default '{}'::jsonb,
  primary key (task_id, attempt, seq)
);

create table loopwright.transcripts (
  task_id integer not null references loopwright.tasks (id) on delete cascade,
  attempt integer not null,
  turn integer not null,
  -- One replay JSONL line, verbatim: jsonb would reorder keys and break exact replay.
  line text not null,
  primary key (task_id, attempt, turn)
);

create table loopwright.schedules (
  id integer generated always as identity primary key,
  repository text not null,
  installation_id bigint,
  name text not null,
  cron text not null,
  prompt text not null,
  enabled boolean not null default true,
  last_run_at timestamptz,
  last_task_id integer references loopwright.tasks (id) on delete set null,
  updated_at timestamptz not null default now(),
  unique (repository, name)
);
`,
};
