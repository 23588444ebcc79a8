import type { WorkerRuntime } from "../worker/run-worker.ts";
import { startSpawnHelper } from "../workspace/spawn-helper.ts";
import { defineCommand } from "./command.ts";
import { ensurePortFree } from "./port-check.ts";
import { waitForShutdownSignal } from "./signals.ts";

export const serveCommand = defineCommand({
  name: "serve",
  usage: `
Usage: loopwright serve

Runs the webhook server on HOST:PORT (default localhost:3000). Until APP_ID and PRIVATE_KEY are
set, it serves Probot's setup page, which registers the GitHub App from app.yml and saves the
credentials to .env. Each webhook is verified, stored and answered 202 at once; an intake job
then handles it (retried while GitHub is unavailable). /ping answers as soon as the server
listens; /ready answers 200 once the database, its migrations and the task queue are up (503
with what it is doing until then).
The same port serves the dashboard (/dashboard, sign-in through the App's GITHUB_CLIENT_ID and
GITHUB_CLIENT_SECRET), its JSON API (/api/v1/) and Prometheus metrics (/metrics).
Stops cleanly on SIGINT or SIGTERM.`,
  options: {},
  async run() {
    // Before the heavy modules and the database load: children (git, bwrap) start from this small helper.
    startSpawnHelper();
    // Loaded when the command runs: its --help and argument errors answer without them.
    const [
      { loadSettings },
      { webhookInboxHandler },
      { localWebhookTarget, startWebhookProxy },
      { createLogger },
      { startServer },
      { acceptDeliveries },
      { groupCommit },
      { createAckTraffic },
      { urgently },
      { createLocalToken, writeLocalToken },
      { createReadiness, readinessHandler },
      { createWebHandlers },
      { startWorkerRuntime },
    ] = await Promise.all([
      import("../config/settings.ts"),
      import("../github/webhook-inbox.ts"),
      import("../github/webhook-proxy.ts"),
      import("../logger.ts"),
      import("../server.ts"),
      import("../store/inbox.ts"),
      import("../store/group-commit.ts"),
      import("../store/ack-traffic.ts"),
      import("../store/pglite-scheduler.ts"),
      import("../web/local-token.ts"),
      import("../web/readiness.ts"),
      import("../web/web-handlers.ts"),
      import("../worker/run-worker.ts"),
    ]);
    const settings = loadSettings();
    if (settings.server.port !== 0) await ensurePortFree(settings.server.host, settings.server.port);
    const log = createLogger(settings);
    // Listening from the start: a signal during start-up stops the process once start-up has settled.
    const shutdown = waitForShutdownSignal();
    const readiness = createReadiness();
    // Storing deliveries goes first: this process's intake gives way to it.
    const ackTraffic = createAckTraffic();
    const starting = startWorkerRuntime(settings, log, {
      onPhase: (phase) => readiness.set(phase),
      ackTraffic,
    });
    let started: WorkerRuntime | undefined;
    starting.then((runtime) => (started = runtime)).catch(() => {});
    const localToken = createLocalToken();
    const web = createWebHandlers(settings, log, () => started, localToken);
    // Deliveries are stored as soon as the database is up, ahead of background work, and taken in by
    // the intake queue; those arriving together share one transaction.
    const store = groupCommit(
      async (deliveries: Parameters<typeof acceptDeliveries>[2]) => {
        const { db, queue } = await starting;
        return urgently(() => acceptDeliveries(db, queue.boss, deliveries));
      },
      { maxBatch: 100 },
    );
    const inbox = webhookInboxHandler({
      path: settings.github.webhookPath,
      secret: settings.github.webhookSecret ?? "development",
      accept: (delivery) => ackTraffic.carry(async () => ({ accepted: await store(delivery) })),
      log,
    });
    const server = await startServer(
      settings,
      () => {},
      log,
      [readinessHandler(readiness), inbox, ...web.handlers],
      web.observeRequest,
    ).catch(async (error: unknown) => {
      await starting.then((runtime) => runtime.stop()).catch(() => {});
      throw error;
    });
    // On a laptop GitHub cannot reach: deliveries to the proxy channel come to the inbox above.
    const { webhookProxyUrl, appId } = settings.github;
    const proxy =
      webhookProxyUrl === undefined || appId === undefined
        ? undefined
        : startWebhookProxy({
            source: webhookProxyUrl,
            target: localWebhookTarget(server.host, server.port, settings.github.webhookPath),
            log,
          });
    let runtime: WorkerRuntime;
    try {
      runtime = await starting;
    } catch (error) {
      readiness.markFailed((error as Error).message);
      await proxy?.stop();
      await server.stop();
      throw error;
    }
    // Written once this process owns the data folder's database: `loopwright tasks` reads it.
    const removeLocalToken = writeLocalToken(settings.dataDir, localToken);
    readiness.markReady();
    log.info("ready: taking webhooks and running tasks");
    const signal = await shutdown;
    log.info({ signal }, "stopping");
    removeLocalToken();
    web.close();
    await proxy?.stop();
    await server.stop();
    await runtime.stop();
    return 0;
  },
});
