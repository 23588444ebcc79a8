import { createServer } from "node:http";
import { defineCommand, UsageError } from "./command.ts";
import { ensurePortFree } from "./port-check.ts";
import { waitForShutdownSignal } from "./signals.ts";

export const webCommand = defineCommand({
  name: "web",
  usage: `
Usage: loopwright web

Serves only the dashboard (/dashboard), its JSON API (/api/v1/) and /metrics on HOST:PORT, against
the PostgreSQL database of DATABASE_URL (reads from DATABASE_READ_URL when set). Use it to run the
dashboard apart from the webhook servers and workers; 'loopwright serve' serves the same pages
itself. Sign-in needs the App's GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (see docs/dashboard.md).
Stops cleanly on SIGINT or SIGTERM.`,
  options: {},
  async run() {
    // Loaded when the command runs: its --help and argument errors answer without them.
    const [
      { loadSettings },
      { createLogger },
      { databaseOptions, openDatabase },
      { migrate },
      { createWebHandlers },
    ] = await Promise.all([
      import("../config/settings.ts"),
      import("../logger.ts"),
      import("../store/database.ts"),
      import("../store/migrate.ts"),
      import("../web/web-handlers.ts"),
    ]);
    const settings = loadSettings();
    if (!settings.database.url) {
      throw new UsageError(
        "DATABASE_URL is not set: 'loopwright web' reads a PostgreSQL database; with the embedded one, 'loopwright serve' serves the dashboard",
      );
    }
    if (settings.server.port !== 0) await ensurePortFree(settings.server.host, settings.server.port);
    const log = createLogger(settings);
    const shutdown = waitForShutdownSignal();
    const db = await openDatabase(databaseOptions(settings));
    try {
      await migrate(db);
      const web = createWebHandlers(settings, log, () => ({ db }), undefined);
      const server = createServer(async (request, response) => {
        web.observeRequest(request, response);
        try {
          for (const handler of web.handlers) if (await handler(request, response)) return;
          if ((request.url ?? "").split("?")[0] === "/ping") {
            response.writeHead(200, { "content-type": "text/plain" }).end("PONG");
            return;
          }
          response.writeHead(404, { "content-type": "text/plain" }).end("Not found\n");
        } catch (error) {
          log.error({ err: error }, "request failed");
          if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
          response.end("Something went wrong; the server log has the details\n");
        }
      });
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(settings.server.port, settings.server.host, resolve);
      });
      log.info(`dashboard listening on http://${settings.server.host}:${settings.server.port}/dashboard`);
      const signal = await shutdown;
      log.info({ signal }, "stopping");
      web.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    } finally {
      await db.close();
    }
    return 0;
  },
});
