import Db from "pg-boss/dist/db.js";

/** What pg-boss is given as `db`: its own PostgreSQL adapter, with LISTEN routed as configured. */
export type QueueDb = Db;

/**
 * pg-boss's PostgreSQL adapter for `url`, whose LISTEN connection goes to `listenUrl` instead: every
 * query pg-boss runs is one statement or one transaction, so it works through PgBouncer in
 * transaction mode; LISTEN holds a session, so behind such a pooler it needs a direct connection to
 * the primary. `listenUrl: false` offers no LISTEN at all (pg-boss then polls and says so once).
 *
 * @example
 * const db = queueDb({ url: "postgres://bouncer:6432/lw", listenUrl: "postgres://primary:5432/lw", max: 3 });
 * new PgBoss({ db, useListenNotify: true });
 */
export function queueDb(options: {
  url: string;
  listenUrl: string | false | undefined;
  max: number;
  applicationName: string;
}): QueueDb {
  const db = new Db({
    connectionString: options.url,
    max: options.max,
    application_name: options.applicationName,
  });
  if (options.listenUrl === undefined || options.listenUrl === options.url) return db;
  if (options.listenUrl === false) {
    // pg-boss looks for a listen method to decide whether LISTEN is possible.
    Object.defineProperty(db, "listen", { value: undefined });
    return db;
  }
  const listener = new Db({
    connectionString: options.listenUrl,
    max: 1,
    application_name: `${options.applicationName} listener`,
  });
  db.listen = async (channel, onNotification, onReconnect) => {
    // Its pool is never used (listen opens a client of its own), but listen asserts it is open.
    if (!listener.opened) await listener.open();
    const handle = await listener.listen(channel, onNotification, onReconnect);
    return {
      async close() {
        await handle.close();
        await listener.close();
      },
    };
  };
  // Lost LISTEN connections are reported like the pool's own errors.
  listener.on("error", (error) => db.emit("error", error));
  return db;
}
