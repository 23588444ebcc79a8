import type { ApplicationFunction } from "probot";
import { registerMaintenanceHandlers } from "./github/maintenance-events.ts";
import { registerWebhookHandlers, type WebhookDependencies } from "./github/webhook-handler.ts";

export type { WebhookDependencies };

/**
 * The Probot app function: it wires webhook handlers and holds no logic of its own. The store
 * operations come in as parameters, so tests pass fakes and production passes the database.
 *
 * @example
 * await server.load(createApp({ submitTask, cancelTasks, tokensToday }));
 */
export function createApp(deps: WebhookDependencies): ApplicationFunction {
  return (app) => {
    app.on(["installation.created", "installation_repositories.added"], async (context) => {
      const repositories =
        "repositories_added" in context.payload
          ? context.payload.repositories_added
          : (context.payload.repositories ?? []);
      context.log.info(
        {
          installation: context.payload.installation.id,
          repositories: repositories.map((repo) => repo.full_name),
        },
        "Loopwright installed",
      );
    });
    registerWebhookHandlers(app, deps);
    if (deps.maintenance) registerMaintenanceHandlers(app, deps.maintenance);
    app.onError((error) => {
      app.log.error({ err: error }, "webhook handler failed");
    });
  };
}
