/**
 * The webhook inbox: each delivery is stored whole when it arrives (before anything else happens),
 * then processed by an intake job; `processed_at` and `outcome` say how that went. Payloads are
 * pruned after the retention time; the rows of deliveries that made tasks stay (tasks point at them).
 */
export const webhookInbox = {
  version: 3,
  name: "webhook-inbox",
  sql: `
alter table loopwright.webhook_deliveries
  add column action text,
  add column installation_id bigint,
  add column repository text,
  add column payload jsonb,
  add column processed_at timestamptz,
  add column outcome text;

create index webhook_deliveries_received_at on loopwright.webhook_deliveries (received_at);
`,
};
