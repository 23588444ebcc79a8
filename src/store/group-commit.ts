/**
 * Batches writes the way a database's group commit does: a call made while the previous write is in
 * flight waits for it, then shares one write with every other call that arrived meanwhile (at most
 * `maxBatch`). A lone call is written at once; under load, one transaction (one commit, one round
 * trip) serves many callers instead of each queueing for a transaction of its own.
 *
 * When a batch of several fails, each item is written again on its own, so one bad item fails alone.
 *
 * @example
 * const accept = groupCommit((deliveries) => acceptDeliveries(db, boss, deliveries), { maxBatch: 100 });
 * const accepted = await accept(delivery);
 */
export function groupCommit<T, R>(
  write: (items: T[]) => Promise<R[]>,
  options: { maxBatch: number },
): (item: T) => Promise<R> {
  type Waiting = { item: T; resolve(result: R): void; reject(error: unknown): void };
  const waiting: Waiting[] = [];
  let writing = false;

  async function writeAlone(entry: Waiting): Promise<void> {
    try {
      const [result] = await write([entry.item]);
      entry.resolve(result as R);
    } catch (error) {
      entry.reject(error);
    }
  }

  async function drain(): Promise<void> {
    writing = true;
    while (waiting.length > 0) {
      const batch = waiting.splice(0, options.maxBatch);
      try {
        const results = await write(batch.map((entry) => entry.item));
        for (const [index, entry] of batch.entries()) entry.resolve(results[index] as R);
      } catch (error) {
        if (batch.length === 1) batch[0]?.reject(error);
        else for (const entry of batch) await writeAlone(entry);
      }
    }
    writing = false;
  }

  return (item) =>
    new Promise<R>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (!writing) void drain();
    });
}
