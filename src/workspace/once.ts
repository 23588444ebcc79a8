/**
 * Wraps a cleanup so that calling it again returns the first call's promise instead of redoing it
 * (dispose from `finally`, from `await using` and from an abort handler may all run).
 *
 * @example
 * const release = once(() => rm(folder, { recursive: true, force: true }));
 * await Promise.all([release(), release()]); // removes once
 */
export function once(action: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= action();
    return done;
  };
}
