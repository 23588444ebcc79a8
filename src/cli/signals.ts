/**
 * Resolves with the first SIGINT or SIGTERM, so a command can shut down in order instead of dying.
 *
 * @example
 * const signal = await waitForShutdownSignal(); // "SIGTERM"
 */
export function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
