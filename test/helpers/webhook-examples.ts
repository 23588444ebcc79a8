import { createRequire } from "node:module";
import type { WebhookDefinition } from "@octokit/webhooks-examples";

// The package is CommonJS JSON whose typings declare an ES default export; require reads it as it is.
const definitions = createRequire(import.meta.url)("@octokit/webhooks-examples") as WebhookDefinition[];

/** Payloads are plain JSON that tests reshape freely. */
// biome-ignore lint/suspicious/noExplicitAny: payloads are mutated freely by tests
export type Payload = any;

/** Test installation and remote: `webhookExample` adapts every example to them. */
export const INSTALLATION_ID = 4242;
export const CLONE_URL = "file:///tmp/loopwright-test/Hello-World.git";

/**
 * A deep copy of the first `@octokit/webhooks-examples` payload for an event (and action), as is.
 *
 * @example
 * const payload = examplePayload("installation", "created");
 */
export function examplePayload(name: string, action?: string): Payload {
  const definition = definitions.find((candidate) => candidate.name === name);
  const found = definition?.examples.find(
    (example) => action === undefined || (example as { action?: string }).action === action,
  );
  if (!found)
    throw new Error(`no ${name}${action ? `.${action}` : ""} example in @octokit/webhooks-examples`);
  return structuredClone(found);
}

/**
 * An example payload given an installation id and the test remote as clone_url, so it can be handed
 * straight to a handler.
 *
 * @example
 * const payload = webhookExample("issue_comment", "created");
 * payload.comment.body = "/agent fix";
 */
export function webhookExample(name: string, action: string): Payload {
  const payload = examplePayload(name, action);
  payload.installation = { id: INSTALLATION_ID, node_id: "test" };
  payload.repository.clone_url = CLONE_URL;
  return payload;
}
