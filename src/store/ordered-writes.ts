/**
 * Numbers writes from 0 in call order and runs them one after another, even when calls overlap, so
 * rows land in sequence. A failed write is reported to its own caller; later writes still run.
 *
 * @example
 * const next = orderedWrites();
 * await next((seq) => db.query("insert … values ($1)", [seq]));
 */
export function orderedWrites(): (write: (seq: number) => Promise<unknown>) => Promise<void> {
  let seq = 0;
  let last: Promise<void> = Promise.resolve();
  return (write) => {
    const current = seq++;
    const done = last.then(async () => {
      await write(current);
    });
    last = done.catch(() => {});
    return done;
  };
}
