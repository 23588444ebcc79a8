import { createRequire } from "node:module";
import type { WebhookDefinition } from "@octokit/webhooks-examples";

// The package is CommonJS with a default-export declaration NodeNext cannot see through; require it.
const definitions = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];

/**
 * A real webhook payload from @octokit/webhooks-examples, deep-copied so a test may adapt it.
 *
 * @example
 * const payload = examplePayload("issue_comment", "created");
 */
export function examplePayload(event: string, action?: string): Record<string, unknown> {
  const group = definitions.find((candidate) => candidate.name === event);
  const payload = group?.examples.find(
    (example) => action === undefined || (example as { action?: string }).action === action,
  );
  if (!payload)
    throw new Error(`no ${event}${action ? `.${action}` : ""} example in @octokit/webhooks-examples`);
  return structuredClone(payload) as Record<string, unknown>;
}
