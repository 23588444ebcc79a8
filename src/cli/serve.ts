import { loadSettings } from "../config/settings.ts";
import { storeWebhookDependencies } from "../github/store-dependencies.ts";
import { createApp, type WebhookDependencies } from "../index.ts";
import { createLogger } from "../logger.ts";
import { startServer } from "../server.ts";
import { createReadiness, readinessHandler } from "../web/readiness.ts";
import { startWorkerRuntime, type WorkerRuntime } from "../worker/run-worker.ts";
import { defineCommand } from "./command.ts";
import { waitForShutdownSignal } from "./signals.ts";

/**
 * The webhook handlers' store operations, each call waiting until the database is up: the server
 * listens (and answers /ping) before the embedded database has opened, which can take seconds.
 */
function afterStartup(runtime: Promise<WorkerRuntime>): WebhookDependencies {
  const deps = runtime.then((started) => storeWebhookDependencies(started.db, started.queue));
  deps.catch(() => {}); // a failed start-up is reported where serve awaits the runtime
  return new Proxy({} as WebhookDependencies, {
    get:
      (_target, operation: keyof WebhookDependencies) =>
      async (...args: unknown[]) =>
        ((await deps)[operation] as (...parameters: unknown[]) => Promise<unknown>)(...args),
  });
}

export const serveCommand = defineCommand({
  name: "serve",
  usage: `
Usage: loopwright serve

Runs the webhook server on HOST:PORT (default localhost:3000). Until APP_ID and PRIVATE_KEY are
set, it serves Probot's setup page, which registers the GitHub App from app.yml and saves the
credentials to .env. /ping answers as soon as the server listens; /ready answers 200 once the
database, its migrations and the task queue are up (503 with what it is doing until then).
Stops cleanly on SIGINT or SIGTERM.`,
  options: {},
  async run() {
    const settings = loadSettings();
    const log = createLogger(settings);
    // Listening from the start: a signal during start-up stops the process once start-up has settled.
    const shutdown = waitForShutdownSignal();
    const readiness = createReadiness();
    const starting = startWorkerRuntime(settings, log, (phase) => readiness.set(phase));
    const server = await startServer(settings, createApp(afterStartup(starting)), log, [
      readinessHandler(readiness),
    ]).catch(async (error: unknown) => {
      await starting.then((runtime) => runtime.stop()).catch(() => {});
      throw error;
    });
    let runtime: WorkerRuntime;
    try {
      runtime = await starting;
    } catch (error) {
      readiness.markFailed((error as Error).message);
      await server.stop();
      throw error;
    }
    readiness.markReady();
    log.info("ready: taking webhooks and running tasks");
    const signal = await shutdown;
    log.info({ signal }, "stopping");
    await server.stop();
    await runtime.stop();
    return 0;
  },
});
