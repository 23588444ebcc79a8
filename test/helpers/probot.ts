import type { Logger } from "pino";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";

/**
 * A Probot with a fixed token and no retries or write throttling (Probot's own defaults would space
 * writes a second apart), for nock-backed handler tests.
 *
 * @example
 * const probot = testProbot();
 * probot.load(createApp(deps));
 */
export function testProbot(log: Logger = pino({ level: process.env.TEST_LOG ?? "silent" })): Probot {
  return new Probot({
    appId: 1,
    privateKey: "test",
    githubToken: "test",
    log,
    // Function-form defaults run after Probot's own, so they win over its throttle settings.
    Octokit: ProbotOctokit.defaults((options: Record<string, unknown>) => ({
      ...options,
      retry: { enabled: false },
      throttle: { enabled: false },
    })),
  });
}
