import type { Options, ProbotOctokit } from "probot";
import type { Settings } from "../config/settings.ts";
import type { Logger } from "../logger.ts";
import { RedactingOctokit } from "./redacting-octokit.ts";

/** Waits GitHub asks for that Loopwright sits out inside one call; longer ones fail the call instead. */
const MAX_WAIT_SECONDS = 120;
const MAX_RATE_LIMIT_RETRIES = 2;

type RetryDecision = (
  retryAfter: number,
  options: { method: string; url: string },
  octokit: unknown,
  retryCount: number,
) => boolean;

/**
 * Retries a rate-limited request (primary or secondary limit) after the wait GitHub names, twice at
 * most and only for short waits: a longer wait fails the call, so the intake re-queues the delivery
 * for the reset time and a task ends with GitHub's reason instead of holding a worker for an hour.
 */
const retryShortWaits: RetryDecision = (retryAfter, _options, _octokit, retryCount) =>
  retryCount < MAX_RATE_LIMIT_RETRIES && retryAfter <= MAX_WAIT_SECONDS;

/**
 * `fetch` whose every attempt gives up after `timeoutMs`: a GitHub that stops answering becomes a
 * retryable error (Octokit's retry plugin tries again) instead of a task that hangs forever.
 *
 * @example
 * new Probot({ appId, privateKey, request: { fetch: fetchWithTimeout(30_000) } });
 */
export function fetchWithTimeout(timeoutMs: number): typeof fetch {
  return (input, init = {}) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    return fetch(input, { ...init, signal: init.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
  };
}

/**
 * What every GitHub client of Loopwright is made from: Probot's Octokit with request redaction, and
 * rate limits (including the secondary ones Probot's defaults give up on) retried after GitHub's
 * `retry-after` when the wait is short.
 *
 * @example
 * new Probot({ appId, privateKey, Octokit: LoopwrightOctokit, request: { fetch: fetchWithTimeout(30_000) } });
 */
export const LoopwrightOctokit: typeof ProbotOctokit = RedactingOctokit.defaults(
  (options: { throttle?: Record<string, unknown> }) => ({
    ...options,
    throttle: { ...options.throttle, onRateLimit: retryShortWaits, onSecondaryRateLimit: retryShortWaits },
  }),
);

/**
 * What every Probot of this process is made with: the App's credentials, GitHub's address, the
 * webhook secret, `LoopwrightOctokit`, and the per-attempt timeout.
 *
 * @example
 * const probot = new Probot(probotOptions(settings, log.child({ name: "intake" })));
 */
export function probotOptions(settings: Pick<Settings, "github">, log: Logger): Options {
  const { appId, privateKey, webhookSecret, baseUrl, requestTimeoutMs } = settings.github;
  return {
    appId,
    privateKey,
    secret: webhookSecret ?? "development",
    baseUrl,
    log,
    Octokit: LoopwrightOctokit,
    request: { fetch: fetchWithTimeout(requestTimeoutMs) },
  };
}
