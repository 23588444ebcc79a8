import { Probot } from "probot";
import type { Settings } from "../config/settings.ts";
import type { GitHubClient } from "../github/client.ts";
import { withGitHubErrors } from "../github/errors.ts";
import { syncInstallation } from "../github/maintenance-events.ts";
import { probotOptions } from "../github/octokit.ts";
import { storeMaintenanceDependencies } from "../github/store-dependencies.ts";
import type { Logger } from "../logger.ts";
import type { Database } from "../store/database.ts";
import type { TaskQueue } from "../store/queue.ts";

/**
 * The periodic resync of every installed repository's schedules (webhooks may be missed), or
 * undefined where the process has no App credentials. One installation's failure is logged and the
 * others still sync.
 *
 * @example
 * const scheduler = await startScheduler({ db, queue, log, resync: scheduleResync(settings, db, queue, log) });
 */
export function scheduleResync(
  settings: Settings,
  db: Database,
  queue: TaskQueue,
  log: Logger,
): (() => Promise<void>) | undefined {
  const { appId, privateKey } = settings.github;
  if (appId === undefined || privateKey === undefined) return undefined;
  const probot = new Probot(probotOptions(settings, log.child({ name: "schedule-resync" })));
  const deps = storeMaintenanceDependencies(db, queue);
  return async () => {
    const app = (await probot.auth()) as unknown as GitHubClient;
    const installations = await withGitHubErrors("list the App's installations", () =>
      app.paginate(app.rest.apps.listInstallations, { per_page: 100 }),
    );
    for (const installation of installations) {
      try {
        const octokit = (await probot.auth(installation.id)) as unknown as GitHubClient;
        await syncInstallation(octokit, deps, installation.id, log);
      } catch (error) {
        log.warn(
          { err: error, installation: installation.id },
          "schedules: resync of an installation failed",
        );
      }
    }
    log.info({ installations: installations.length }, "schedules: resynced every installation");
  };
}
