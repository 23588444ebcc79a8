import type { Settings } from "../config/settings.ts";
import type { Logger } from "../logger.ts";
import type { HttpHandler } from "../server.ts";
import type { Database } from "../store/database.ts";
import { LANE_QUEUES, type TaskQueue } from "../store/queue.ts";
import { replicaLag } from "../store/read-your-writes.ts";
import type { Lane } from "../store/tasks.ts";
import { createDashboard } from "./dashboard.ts";
import { dashboardKey } from "./dashboard-key.ts";
import { createGitHubUserApi } from "./github-user.ts";
import { createMetrics, type LaneDepth } from "./metrics.ts";

export type WebHandlers = {
  /** /dashboard…, /api/v1/… and /metrics, for `startServer`. */
  handlers: HttpHandler[];
  /** Counts webhook deliveries for /metrics; give it to `startServer` as its request observer. */
  observeRequest: ReturnType<typeof createMetrics>["observeRequest"];
  close(): void;
};

/**
 * Everything the web side of a process serves besides webhooks, from the settings: the dashboard and
 * its API (OAuth through the App's credentials, on GHE_HOST when set) and /metrics. `runtime` gives
 * the database (and the queue, for queue depth) once they are up; until then pages answer 503.
 *
 * @example
 * const web = createWebHandlers(settings, log, () => runtime, localToken.token);
 * await startServer(settings, app, log, [...web.handlers], web.observeRequest);
 */
export function createWebHandlers(
  settings: Settings,
  log: Logger,
  runtime: () => { db: Database; queue?: TaskQueue } | undefined,
  localToken: string | undefined,
): WebHandlers {
  const dashboard = createDashboard({
    publicUrl: settings.web.publicUrl,
    githubUrl: settings.web.githubUrl,
    oauth: settings.web.clientId !== undefined,
    admins: settings.web.admins,
    database: () => runtime()?.db,
    github: createGitHubUserApi({
      apiUrl: settings.github.baseUrl,
      webUrl: settings.web.githubUrl,
      clientId: settings.web.clientId,
      clientSecret: settings.web.clientSecret,
    }),
    key: dashboardKey(settings.github.webhookSecret, settings.dataDir),
    localToken,
    log,
  });
  const metrics = createMetrics({
    webhookPath: settings.github.webhookPath,
    token: settings.web.metricsToken,
    reader: () => runtime()?.db.reader,
    async queueDepth() {
      const queue = runtime()?.queue;
      if (!queue) return [];
      const depths: LaneDepth[] = [];
      for (const [lane, name] of Object.entries(LANE_QUEUES) as [Lane, string][]) {
        const found = await queue.boss.getQueue(name);
        if (found) depths.push({ lane, queued: found.queuedCount, active: found.activeCount });
      }
      return depths;
    },
    async replicaLag() {
      const db = runtime()?.db;
      return db && replicaLag(db);
    },
    log,
  });
  return {
    handlers: [dashboard.handler, metrics.handler],
    observeRequest: (request, response) => metrics.observeRequest(request, response),
    close: () => dashboard.close(),
  };
}
