import { createHash } from "node:crypto";
import type { GitHubUserApi } from "./github-user.ts";

/** Who is looking: a signed-in GitHub user, a user token's owner, or the local administrator. */
export type Viewer = {
  login: string;
  /** In LOOPWRIGHT_ADMINS, or the local administrator: sees and stops everything. */
  admin: boolean;
  /** The user's GitHub token (never for the local administrator). */
  token: string | undefined;
};

/** What one viewer may see and do. */
export type Access = {
  /** The repositories whose tasks the viewer sees; undefined: all of them (administrators). */
  visibleRepositories(): Promise<readonly string[] | undefined>;
  canRead(repository: string): Promise<boolean>;
  /** Write access (push, maintain or admin) to a repository the viewer can read. */
  canStop(repository: string): Promise<boolean>;
};

export type AccessControl = { for(viewer: Viewer): Access };

type Cached<T> = { value: Promise<T>; expires: number };

/** A small time-bounded cache of promises (a failed lookup is not kept). */
function ttlCache<T>(ttlMs: number, now: () => number, maxEntries = 2_000) {
  const entries = new Map<string, Cached<T>>();
  return (key: string, load: () => Promise<T>): Promise<T> => {
    const found = entries.get(key);
    if (found && found.expires > now()) return found.value;
    if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
    const value = load();
    entries.set(key, { value, expires: now() + ttlMs });
    value.catch(() => entries.delete(key));
    return value;
  };
}

const tokenKey = (token: string): string => createHash("sha256").update(token).digest("hex");

/**
 * Decides what each viewer may see and stop, with their own GitHub token: the repositories of the
 * App's installations they can read (`/user/installations` and each installation's repositories),
 * and write access per repository (`/repos/{owner}/{repo}` permissions). Answers are cached for
 * `ttlMs` per token, so a page view costs no GitHub call in the common case; administrators skip
 * GitHub entirely.
 *
 * @example
 * const access = createAccessControl(github).for(viewer);
 * if (!(await access.canRead(task.repository))) return notFound();
 */
export function createAccessControl(
  github: GitHubUserApi,
  options: { ttlMs?: number; now?: () => number } = {},
): AccessControl {
  const ttlMs = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const readable = ttlCache<string[]>(ttlMs, now);
  const permissions = ttlCache<boolean>(ttlMs, now);
  return {
    for(viewer) {
      if (viewer.admin) {
        return {
          visibleRepositories: async () => undefined,
          canRead: async () => true,
          canStop: async () => true,
        };
      }
      const token = viewer.token;
      const visible = (): Promise<string[]> =>
        token === undefined
          ? Promise.resolve([])
          : readable(tokenKey(token), () => github.readableRepositories(token));
      const canRead = async (repository: string): Promise<boolean> => {
        const wanted = repository.toLowerCase();
        return (await visible()).some((name) => name.toLowerCase() === wanted);
      };
      return {
        visibleRepositories: visible,
        canRead,
        async canStop(repository) {
          if (token === undefined || !(await canRead(repository))) return false;
          return permissions(`${tokenKey(token)} ${repository.toLowerCase()}`, async () => {
            return (await github.permissions(token, repository)).write;
          });
        },
      };
    },
  };
}
