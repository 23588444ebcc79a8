/** How long background work waits at most for a lull before going on anyway (no starvation). */
const MAX_WAIT_MS = 100;

/**
 * The webhook route's traffic in this process, for background work of the same process to give way
 * to: while deliveries are being stored (what GitHub's delivery waits for), the intake holds back the
 * next delivery it takes in, so the two do not share the CPU and the database at that moment. Under
 * a steady 200 deliveries/s this trims the acknowledgement's tail; the intake still runs between
 * acknowledgements and never waits longer than a short bound.
 *
 * @example
 * const traffic = createAckTraffic();
 * const accepted = await traffic.carry(() => store(delivery)); // the webhook route
 * await traffic.lull(); // the intake, before each delivery
 */
export type AckTraffic = {
  /** Runs `work` (storing deliveries) counted as traffic. */
  carry<T>(work: () => Promise<T>): Promise<T>;
  /** Resolves once nothing is being stored (at once when nothing is), or after `maxWaitMs` at most. */
  lull(maxWaitMs?: number): Promise<void>;
};

/** See `AckTraffic`. */
export function createAckTraffic(): AckTraffic {
  let inFlight = 0;
  let waiting: (() => void)[] = [];
  return {
    async carry(work) {
      inFlight += 1;
      try {
        return await work();
      } finally {
        inFlight -= 1;
        if (inFlight === 0) {
          const resume = waiting;
          waiting = [];
          for (const go of resume) go();
        }
      }
    },
    lull(maxWaitMs = MAX_WAIT_MS) {
      if (inFlight === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, maxWaitMs);
        waiting.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
