import { createServer } from "node:net";

/**
 * Fails with a sentence saying what to do when `port` on `host` is taken (another `serve`, or
 * anything else), before the server starts its database and workers for nothing. A port taken in
 * the moment between this check and the real listen still fails there, with the same advice.
 *
 * @example
 * await ensurePortFree("localhost", 3000);
 * @throws Error "port 3000 on localhost is already in use …" (no stack is shown for it by the CLI)
 */
export function ensurePortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") {
        reject(
          new Error(
            `port ${port} on ${host} is already in use (another loopwright serve?): stop that process, or set PORT to a free port`,
          ),
        );
      } else if (error.code === "EACCES") {
        reject(
          new Error(`this user may not listen on port ${port} on ${host}: set PORT to a port above 1023`),
        );
      } else {
        reject(new Error(`cannot listen on ${host}:${port}: ${error.message}`));
      }
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
