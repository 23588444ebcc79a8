import { AsyncLocalStorage } from "node:async_hooks";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { PGlite } from "@electric-sql/pglite";

const urgency = new AsyncLocalStorage<true>();

/**
 * Runs `work` with its embedded-database statements ahead of everyone else's: what a webhook's
 * answer waits for (storing the delivery) goes before the intake's and the queue's background work.
 * On PostgreSQL it changes nothing (the server has connections enough).
 *
 * @example
 * await urgently(() => acceptDeliveries(db, boss, deliveries));
 */
export function urgently<T>(work: () => Promise<T>): Promise<T> {
  return urgency.run(true, work);
}

type Operation = () => Promise<void>;

/**
 * PGlite with its statements scheduled: one at a time (as PGlite runs them anyway), urgent ones
 * first, and a turn of the event loop between two. PGlite runs each statement synchronously in
 * WebAssembly, so back-to-back background statements would otherwise keep the process from reading
 * new HTTP requests until the whole backlog had run.
 *
 * @example
 * const pglite = scheduledPglite(await PGlite.create(dataDir));
 */
export function scheduledPglite(pglite: PGlite): PGlite {
  const urgent: Operation[] = [];
  const background: Operation[] = [];
  let running = false;

  async function pump(): Promise<void> {
    running = true;
    while (urgent.length > 0 || background.length > 0) {
      await nextTurn();
      const operation = urgent.shift() ?? background.shift();
      await operation?.();
    }
    running = false;
  }

  function schedule<T>(run: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const operation = () => run().then(resolve, reject);
      (urgency.getStore() ? urgent : background).push(operation);
      if (!running) void pump();
    });
  }

  const scheduled: Partial<PGlite> = {
    query: (...args: Parameters<PGlite["query"]>) => schedule(() => pglite.query(...args)),
    exec: (...args: Parameters<PGlite["exec"]>) => schedule(() => pglite.exec(...args)),
    transaction: (...args: Parameters<PGlite["transaction"]>) => schedule(() => pglite.transaction(...args)),
  } as Partial<PGlite>;
  return new Proxy(pglite, {
    get(target, property) {
      if (Object.hasOwn(scheduled, property)) return scheduled[property as keyof PGlite];
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
