import { cleanEnv, type RunningCli, startCli, waitForHttp } from "./cli-process.ts";
import { freePort } from "./free-port.ts";
import { deliverWebhook, type GitHubWorld } from "./github-world.ts";

/** A running `loopwright serve` against a test world, ready, with a way to send it signed webhooks. */
export type ServeProcess = RunningCli & {
  port: number;
  /** POSTs a webhook signed with the world's secret to the server's webhook route. */
  deliver(event: { name: string; id: string; payload: unknown }): Promise<Response>;
  /** Stops it (SIGTERM unless told) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
};

/**
 * Starts the real `loopwright serve` on a free port (or `port`) with the world's environment and
 * `extra` settings, and waits on `/ready` — for as long as the process lives, failing at once with its
 * output if it exits.
 *
 * @example
 * const server = await startServe(world, { DATABASE_URL: url });
 * expect((await server.deliver({ name: "issue_comment", id: "d-1", payload })).status).toBe(202);
 * await server.stop();
 */
export async function startServe(
  world: GitHubWorld,
  extra: Record<string, string> = {},
  port?: number,
): Promise<ServeProcess> {
  const chosen = port ?? (await freePort());
  const running = startCli(["serve"], { env: cleanEnv(world.env({ PORT: String(chosen), ...extra })) });
  const server: ServeProcess = {
    ...running,
    port: chosen,
    deliver: (event) =>
      deliverWebhook(`http://127.0.0.1:${chosen}/api/github/webhooks`, world.webhookSecret, event),
    async stop(signal = "SIGTERM") {
      running.child.kill(signal);
      return running.exited;
    },
  };
  try {
    await waitForHttp(`http://127.0.0.1:${chosen}/ready`, running, { status: 200 });
  } catch (error) {
    await server.stop("SIGKILL");
    throw error;
  }
  return server;
}
