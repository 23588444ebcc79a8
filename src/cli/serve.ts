import { loadSettings } from "../config/settings.ts";
import { storeWebhookDependencies } from "../github/store-dependencies.ts";
import { createApp } from "../index.ts";
import { createLogger } from "../logger.ts";
import { startServer } from "../server.ts";
import { startWorkerRuntime } from "../worker/run-worker.ts";
import { defineCommand } from "./command.ts";
import { waitForShutdownSignal } from "./signals.ts";

export const serveCommand = defineCommand({
  name: "serve",
  summary: "Run the GitHub App: webhook server (setup page until the App is registered)",
  usage: `
Usage: loopwright serve

Runs the webhook server on HOST:PORT (default localhost:3000). Until APP_ID and PRIVATE_KEY are
set, it serves Probot's setup page, which registers the GitHub App from app.yml and saves the
credentials to .env. Stops cleanly on SIGINT or SIGTERM.`,
  options: {},
  async run() {
    const settings = loadSettings();
    const log = createLogger(settings);
    const worker = await startWorkerRuntime(settings, log);
    const server = await startServer(
      settings,
      createApp(storeWebhookDependencies(worker.db, worker.queue)),
      log,
    ).catch(async (error: unknown) => {
      await worker.stop();
      throw error;
    });
    const signal = await waitForShutdownSignal();
    log.info({ signal }, "stopping");
    await server.stop();
    await worker.stop();
    return 0;
  },
});
