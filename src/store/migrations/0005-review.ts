/**
 * Review memory: per pull request, whether automatic reviews are paused, the last reviewed head and
 * the summary comment; per finding, its fingerprint (so nothing is posted twice), where it was
 * posted (its inline comment, whose thread is answered "fixed in <sha>" and resolved) and its status.
 */
export const review = {
  version: 5,
  name: "review",
  sql: `
create table loopwright.review_pulls (
  repository text not null,
  number integer not null,
  paused boolean not null default false,
  last_reviewed_sha text,
  summary_comment_id bigint,
  updated_at timestamptz not null default now(),
  primary key (repository, number)
);

create table loopwright.review_findings (
  id integer generated always as identity primary key,
  repository text not null,
  number integer not null,
  ordinal integer not null,
  fingerprint text not null,
  title text not null,
  body text not null,
  priority text not null check (priority in ('P0', 'P1', 'P2', 'P3')),
  confidence real not null,
  path text not null,
  start_line integer not null,
  end_line integer not null,
  side text not null check (side in ('RIGHT', 'LEFT')),
  code text[] not null default '{}',
  status text not null default 'open' check (status in ('open', 'fixed', 'dismissed')),
  first_sha text not null,
  last_seen_sha text not null,
  fixed_sha text,
  comment_id bigint,
  reproduced boolean,
  dismissed_by text,
  task_id integer references loopwright.tasks (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (repository, number, fingerprint),
  unique (repository, number, ordinal)
);
create index review_findings_comment on loopwright.review_findings (repository, comment_id)
  where comment_id is not null;
`,
};
