import { setTimeout as sleep } from "node:timers/promises";
import { GitError } from "./git.ts";

/**
 * What git prints when the server or the network failed rather than refused: a 5xx from the git
 * endpoint, a connection reset or timeout, a name that did not resolve, a stream cut short. A 4xx
 * (no access, not found) or a refused push is an answer, and is never retried.
 */
const TRANSIENT_FAILURE =
  /returned error: 5\d\d|\b50[0234]\b.*(error|gateway|unavailable)|RPC failed|early EOF|remote end hung up unexpectedly|Connection (reset|refused|timed out)|Operation timed out|Could not resolve host|Empty reply from server|was not closed cleanly|TLS connection was non-properly terminated|temporarily unavailable/i;

const REFUSED_PUSH = /\[(remote )?rejected\]/;

/**
 * Whether a failed git command is worth another try: a `GitError` whose output names a server or
 * network failure (never a refusal, a missing repository or an abort).
 *
 * @example
 * isTransientGitFailure(new GitError("push", "o/r", 128, "fatal: unable to access …: The requested URL returned error: 502", "exit 128")); // true
 */
export function isTransientGitFailure(error: unknown): boolean {
  return (
    error instanceof GitError &&
    error.exitCode !== null &&
    TRANSIENT_FAILURE.test(error.stderr) &&
    // A hook's words may sound transient ("try again"), but a refused push is GitHub's answer.
    !REFUSED_PUSH.test(error.stderr)
  );
}

/**
 * Runs a git network operation (fetch, push, ls-remote) again after a transient failure, waiting
 * `delaysMs[i]` before try i+2: GitHub's git endpoints answer a 502 now and then, and a task should
 * not fail for one. Any other failure, or the last one, is thrown as it is.
 *
 * @example
 * await retryTransientGit(() => runGit(["push", url, refspec], options), { signal });
 */
export async function retryTransientGit<T>(
  operation: () => Promise<T>,
  options: { delaysMs?: readonly number[]; signal?: AbortSignal } = {},
): Promise<T> {
  const delays = options.delaysMs ?? [1_000, 4_000];
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const delay = delays[attempt];
      if (delay === undefined || !isTransientGitFailure(error) || options.signal?.aborted) throw error;
      await sleep(delay, undefined, { signal: options.signal });
    }
  }
}
