import type { Logger } from "../logger.ts";
import type { Queryable } from "../store/database.ts";
import { storedDeliveryIds } from "../store/inbox.ts";
import type { GitHubClient } from "./client.ts";
import { withGitHubErrors } from "./errors.ts";

/** One attempt in the App's delivery log (`GET /app/hook/deliveries`). */
type DeliveryAttempt = { id: number; guid: string; status_code: number; delivered_at: string; event: string };

const MAX_PAGES = 20;

function nextCursor(link: string | undefined): string | undefined {
  const next = link?.split(",").find((part) => /rel="next"/.test(part));
  return next
    ? (new URL(/<([^>]+)>/.exec(next)?.[1] ?? "", "https://x").searchParams.get("cursor") ?? undefined)
    : undefined;
}

/** The App's delivery attempts since `since`, newest first, following the log's cursor. */
async function attemptsSince(app: GitHubClient, since: Date): Promise<DeliveryAttempt[]> {
  const attempts: DeliveryAttempt[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const response = await withGitHubErrors("list the App's webhook deliveries", () =>
      app.request("GET /app/hook/deliveries", { per_page: 100, ...(cursor && { cursor }) }),
    );
    const batch = response.data as DeliveryAttempt[];
    attempts.push(...batch);
    cursor = nextCursor(response.headers.link);
    const oldest = batch.at(-1);
    if (!cursor || !oldest || new Date(oldest.delivered_at) < since) break;
  }
  return attempts.filter((attempt) => new Date(attempt.delivered_at) >= since);
}

/**
 * Asks GitHub to deliver again every delivery of the look-back window that never reached
 * Loopwright: none of its attempts succeeded and it is not in the inbox (Loopwright was down, or
 * could not store it). As GitHub's guide for handling failed deliveries recommends; GitHub does not
 * redeliver on its own. Resolves to the delivery ids asked for, each logged.
 *
 * @example
 * await askForMissedDeliveries({ app: appOctokit, db, since: new Date(Date.now() - 86_400_000), log });
 */
export async function askForMissedDeliveries(options: {
  /** A client authenticated as the App itself (JWT), not as an installation. */
  app: GitHubClient;
  db: Queryable;
  since: Date;
  log: Logger;
}): Promise<string[]> {
  const byDelivery = new Map<string, DeliveryAttempt[]>();
  for (const attempt of await attemptsSince(options.app, options.since)) {
    byDelivery.set(attempt.guid, [...(byDelivery.get(attempt.guid) ?? []), attempt]);
  }
  const failed = [...byDelivery.entries()].filter(([, attempts]) =>
    attempts.every((attempt) => attempt.status_code < 200 || attempt.status_code >= 300),
  );
  const stored = await storedDeliveryIds(
    options.db,
    failed.map(([guid]) => guid),
  );
  const asked: string[] = [];
  for (const [guid, attempts] of failed) {
    if (stored.has(guid)) continue;
    const latest = attempts.reduce((a, b) => (new Date(a.delivered_at) > new Date(b.delivered_at) ? a : b));
    await withGitHubErrors(`ask GitHub to redeliver ${guid}`, () =>
      options.app.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: latest.id }),
    );
    options.log.info(
      {
        delivery: guid,
        event: latest.event,
        failedAttempts: attempts.length,
        lastStatus: latest.status_code,
      },
      "asked GitHub to redeliver a missed webhook",
    );
    asked.push(guid);
  }
  return asked;
}
