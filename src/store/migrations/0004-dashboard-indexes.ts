/**
 * Indexes for the dashboard and /metrics: task lists filtered by kind or requester page by id
 * (keyset), metrics read the tasks finished and the model and tool steps written since the last
 * scrape.
 */
export const dashboardIndexes = {
  version: 4,
  name: "dashboard-indexes",
  sql: `
create index tasks_kind_recent on loopwright.tasks (kind, id desc);
create index tasks_repository_id on loopwright.tasks (repository, id desc);
create index tasks_finished_at on loopwright.tasks (finished_at) where finished_at is not null;
create index steps_metrics_recent on loopwright.steps (started_at) where kind in ('model_turn', 'tool_call');
`,
};
