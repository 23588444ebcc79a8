import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type ApplicationFunction, Probot, run, Server } from "probot";
import type { Settings } from "./config/settings.ts";
import { probotOptions } from "./github/octokit.ts";
import type { Logger } from "./logger.ts";

/** An extra HTTP route: returns true when it answered the request. */
export type HttpHandler = (request: IncomingMessage, response: ServerResponse) => boolean | Promise<boolean>;

/** Sees every request as it arrives (e.g. to count webhook deliveries), never answers it. */
export type RequestObserver = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Starts the HTTP server: webhooks at `settings.github.webhookPath`, `/ping` and the given extra
 * handlers when the App's credentials are set (`observe` sees every request, webhooks included);
 * otherwise (outside production) Probot's setup page, which registers the GitHub App from `app.yml`
 * and writes the credentials to `.env`.
 *
 * @example
 * const server = await startServer(loadSettings(), createApp(deps), log, [readinessHandler(readiness)]);
 * await server.stop();
 */
export async function startServer(
  settings: Settings,
  appFn: ApplicationFunction,
  log: Logger,
  handlers: HttpHandler[] = [],
  observe?: RequestObserver,
): Promise<Server> {
  const { appId, privateKey } = settings.github;
  if (appId === undefined || privateKey === undefined) {
    log.warn("APP_ID and PRIVATE_KEY are not set: serving the GitHub App setup page");
    // Probot's setup page registers process.env.WEBHOOK_PROXY_URL as the App's webhook URL (and opens
    // a smee.io channel when it is unset): ours is the proxy channel, else PUBLIC_URL's webhook route.
    const { registeredWebhookUrl } = settings.github;
    if (registeredWebhookUrl !== undefined) process.env.WEBHOOK_PROXY_URL = registeredWebhookUrl;
    // Probot's run() owns the manifest flow; it reads HOST/PORT from the same environment we validated.
    // Without WEBHOOK_PROXY_URL there: the setup page takes no webhooks, so nothing is forwarded to it.
    const { WEBHOOK_PROXY_URL: _registered, ...env } = process.env;
    return run(appFn, {
      env: { ...env, HOST: settings.server.host, PORT: String(settings.server.port) },
      log,
    });
  }
  const server = new Server({
    host: settings.server.host,
    port: settings.server.port,
    // Webhooks at `webhookPath` go to the inbox handler (stored, then taken in by the intake queue);
    // Probot's own webhook route is moved out of the way, to a path nobody is told.
    webhookPath: `/_probot/${randomUUID()}`,
    log,
    Probot: Probot.defaults(probotOptions(settings, log)),
  });
  for (const handler of handlers) server.addHandler(handler);
  await server.load(appFn);
  const listening = await server.start();
  if (observe) listening.on("request", observe);
  return server;
}
