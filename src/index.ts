import type { ApplicationFunction } from "probot";

/**
 * The Probot app function: it wires webhook handlers and holds no logic of its own.
 *
 * @example
 * await server.load(createApp());
 */
export function createApp(): ApplicationFunction {
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
    app.onError((error) => {
      app.log.error({ err: error }, "webhook handler failed");
    });
  };
}
