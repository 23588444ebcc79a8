import { loadSettings } from "../config/settings.ts";
import { createApp } from "../index.ts";
import { createLogger } from "../logger.ts";
import { startServer } from "../server.ts";
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
    const server = await startServer(settings, createApp(), log);
    const signal = await waitForShutdownSignal();
    log.info({ signal }, "stopping");
    await server.stop();
    return 0;
  },
});
