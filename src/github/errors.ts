export type GitHubErrorKind =
  | "rate_limit"
  | "auth"
  | "permission"
  | "not_found"
  | "validation"
  | "server"
  | "network"
  | "unknown";

/** A failed GitHub API call, classified, with a message a user can read on the issue or in a log. */
export class GitHubApiError extends Error {
  override name = "GitHubApiError";
  readonly kind: GitHubErrorKind;
  readonly status: number | undefined;
  /** When a rate limit lifts, if GitHub said so. */
  readonly resetAt: Date | undefined;
  constructor(message: string, kind: GitHubErrorKind, status?: number, resetAt?: Date, cause?: unknown) {
    super(message, { cause });
    this.kind = kind;
    this.status = status;
    this.resetAt = resetAt;
  }
}

type ErrorShape = {
  status?: unknown;
  message?: unknown;
  response?: { headers?: Record<string, unknown>; data?: unknown };
};

type ErrorBody = { message?: unknown; errors?: unknown };

function header(error: ErrorShape, name: string): string | undefined {
  const value = error.response?.headers?.[name];
  return value === undefined || value === null ? undefined : String(value);
}

/** GitHub's own words: the body's message, then each validation error's message or code. */
function githubSays(error: ErrorShape): string {
  const data = (error.response?.data ?? {}) as ErrorBody;
  const parts = [typeof data.message === "string" ? data.message : undefined];
  if (Array.isArray(data.errors)) {
    for (const item of data.errors) {
      if (typeof item === "string") parts.push(item);
      else if (item && typeof item === "object") {
        const { message, code, field } = item as Record<string, unknown>;
        parts.push(typeof message === "string" ? message : [field, code].filter(Boolean).join(" "));
      }
    }
  }
  const text = parts.filter((part) => part !== undefined && part !== "").join("; ");
  return text || (typeof error.message === "string" ? error.message : "no details");
}

function describeWait(resetAt: Date, now: Date): string {
  const minutes = Math.max(1, Math.ceil((resetAt.getTime() - now.getTime()) / 60_000));
  return `${resetAt.toISOString().slice(11, 16)} UTC (in ${minutes} minute${minutes === 1 ? "" : "s"})`;
}

/**
 * Turns whatever an Octokit call threw into a `GitHubApiError` whose message says what was being
 * done and why it failed: rate limit (with the reset time), bad credentials, missing permission,
 * not found, validation (with GitHub's reasons), GitHub outage, or network failure.
 *
 * @example
 * try { await octokit.rest.pulls.create(params) }
 * catch (error) { throw toGitHubApiError(error, "open the pull request") }
 * // "Could not open the pull request: GitHub rejected it (422): A pull request already exists for o:agent/x"
 */
export function toGitHubApiError(error: unknown, action: string, now = new Date()): GitHubApiError {
  if (error instanceof GitHubApiError) return error;
  const shape = (error ?? {}) as ErrorShape;
  const status = typeof shape.status === "number" ? shape.status : undefined;
  const fail = (kind: GitHubErrorKind, why: string, resetAt?: Date) =>
    new GitHubApiError(`Could not ${action}: ${why}`, kind, status, resetAt, error);
  const says = githubSays(shape);

  // Octokit reports a failed connection as status 500 without a response.
  if (status === undefined || shape.response === undefined) {
    const reason = error instanceof Error ? error.message : String(error);
    return fail("network", `could not reach GitHub: ${reason}`);
  }
  if (status === 403 || status === 429) {
    const reset = Number(header(shape, "x-ratelimit-reset"));
    if (header(shape, "x-ratelimit-remaining") === "0" && Number.isFinite(reset) && reset > 0) {
      const resetAt = new Date(reset * 1000);
      return fail(
        "rate_limit",
        `GitHub's API rate limit is used up until ${describeWait(resetAt, now)}.`,
        resetAt,
      );
    }
    const retryAfter = Number(header(shape, "retry-after"));
    if (status === 429 || Number.isFinite(retryAfter) || /rate limit/i.test(says)) {
      const resetAt = new Date(now.getTime() + (Number.isFinite(retryAfter) ? retryAfter : 60) * 1000);
      return fail(
        "rate_limit",
        `GitHub is rate limiting requests until ${describeWait(resetAt, now)}.`,
        resetAt,
      );
    }
    return fail("permission", `the GitHub App lacks permission (403): ${says}`);
  }
  if (status === 401) return fail("auth", `GitHub refused the app's credentials (401): ${says}`);
  if (status === 404) {
    return fail("not_found", `not found (404); the resource is gone or the app cannot see it: ${says}`);
  }
  if (status === 422) return fail("validation", `GitHub rejected it (422): ${says}`);
  if (status >= 500) return fail("server", `GitHub had an error (${status}): ${says}`);
  return fail("unknown", `GitHub answered ${status}: ${says}`);
}

/**
 * Runs one API call, turning any failure into a `GitHubApiError` naming the action.
 *
 * @example
 * const { data } = await withGitHubErrors("read the pull request", () => octokit.rest.pulls.get(params));
 */
export async function withGitHubErrors<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toGitHubApiError(error, action);
  }
}

/**
 * The failure as a `GitHubApiError` when it is one GitHub will likely get over (an outage, a rate
 * limit, a connection reset or timeout), so the work is retried later instead of failing; undefined
 * for anything else (including errors that did not come from a GitHub call).
 *
 * @example
 * const transient = transientGitHubFailure(error);
 * if (transient) throw transient; // the intake job retries with backoff
 */
export function transientGitHubFailure(error: unknown): GitHubApiError | undefined {
  const failures = error instanceof AggregateError ? error.errors : [error];
  for (const failure of failures) {
    const fromGitHub =
      failure instanceof GitHubApiError ||
      typeof (failure as { status?: unknown } | null)?.status === "number";
    if (!fromGitHub) continue;
    const classified = toGitHubApiError(failure, "reach GitHub");
    if (classified.kind === "server" || classified.kind === "network" || classified.kind === "rate_limit") {
      return classified;
    }
  }
  return undefined;
}
