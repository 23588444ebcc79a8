/**
 * Resolves with the first SIGINT or SIGTERM, so a command can shut down in order instead of dying.
 *
 * @example
 * const signal = await waitForShutdownSignal(); // "SIGTERM"
 */
export function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    // Left installed after the first signal (later ones change nothing): a library that re-raises a
    // signal once its own handler is the last one left (signal-exit does) would otherwise turn the
    // orderly stop into the default action, death by the signal.
    const onSignal = (signal: NodeJS.Signals) => resolve(signal);
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
