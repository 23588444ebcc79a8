/** GitHub refused the user's token (revoked or expired): they must sign in again. */
export class GitHubAuthError extends Error {
  override name = "GitHubAuthError";
}

/** What a user may do in a repository, from `GET /repos/{owner}/{repo}`. */
export type RepositoryPermissions = { read: boolean; write: boolean };

/** The GitHub calls the dashboard makes for a signed-in user, with that user's own token. */
export type GitHubUserApi = {
  /** Where "Sign in with GitHub" sends the browser. */
  authorizeUrl(state: string, redirectUri: string): string;
  /** Trades the OAuth callback's code for a user access token. */
  exchangeCode(code: string, redirectUri: string): Promise<string>;
  user(token: string): Promise<{ login: string }>;
  /** "owner/name" of every repository of the App's installations that the user can read. */
  readableRepositories(token: string): Promise<string[]>;
  permissions(token: string, repository: string): Promise<RepositoryPermissions>;
};

export type GitHubUserApiOptions = {
  /** REST API root (https://api.github.com or https://HOST/api/v3). */
  apiUrl: string;
  /** Web origin for OAuth (https://github.com or https://HOST). */
  webUrl: string;
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** Most pages read from one paginated list (100 items each). */
  maxPages?: number;
};

type Json = Record<string, unknown>;

/** How long one GitHub call may take before the page gives up on it. */
const TIMEOUT_MS = 15_000;

/**
 * The dashboard's GitHub edge: the OAuth web flow of the App (on github.com or a GitHub Enterprise
 * Server host) and the user-token calls that decide what a user may see (`/user/installations`,
 * their repositories) and stop (`/repos/{owner}/{repo}` permissions).
 *
 * @example
 * const github = createGitHubUserApi({ apiUrl: settings.github.baseUrl, webUrl: settings.web.githubUrl,
 *   clientId: settings.web.clientId, clientSecret: settings.web.clientSecret });
 * const repositories = await github.readableRepositories(token);
 */
export function createGitHubUserApi(options: GitHubUserApiOptions): GitHubUserApi {
  const maxPages = options.maxPages ?? 10;

  async function get(token: string, path: string): Promise<{ status: number; body: Json | Json[] }> {
    const response = await fetch(`${options.apiUrl}${path}`, {
      headers: {
        accept: "application/vnd.github+json",
        authorization: `Bearer ${token}`,
        "user-agent": "loopwright-dashboard",
        "x-github-api-version": "2022-11-28",
      },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (response.status === 401) throw new GitHubAuthError("GitHub no longer accepts this sign-in");
    const text = await response.text();
    let body: Json | Json[] = {};
    try {
      body = text ? (JSON.parse(text) as Json | Json[]) : {};
    } catch {
      // GitHub answered something other than JSON; the status says enough
    }
    if (response.status >= 500) throw new Error(`GitHub answered ${response.status} to GET ${path}`);
    return { status: response.status, body };
  }

  /** Every item of a paginated list under `key`, up to `maxPages` pages; [] when GitHub refuses. */
  async function list(token: string, path: string, key: string): Promise<Json[]> {
    const items: Json[] = [];
    for (let page = 1; page <= maxPages; page += 1) {
      const separator = path.includes("?") ? "&" : "?";
      const { status, body } = await get(token, `${path}${separator}per_page=100&page=${page}`);
      if (status !== 200 || Array.isArray(body)) return items;
      const found = Array.isArray(body[key]) ? (body[key] as Json[]) : [];
      items.push(...found);
      if (found.length < 100) break;
    }
    return items;
  }

  return {
    authorizeUrl(state, redirectUri) {
      const url = new URL("/login/oauth/authorize", options.webUrl);
      url.searchParams.set("client_id", options.clientId ?? "");
      url.searchParams.set("redirect_uri", redirectUri);
      url.searchParams.set("state", state);
      url.searchParams.set("allow_signup", "false");
      return url.toString();
    },
    async exchangeCode(code, redirectUri) {
      const response = await fetch(new URL("/login/oauth/access_token", options.webUrl), {
        method: "POST",
        headers: { accept: "application/json", "content-type": "application/json" },
        body: JSON.stringify({
          client_id: options.clientId,
          client_secret: options.clientSecret,
          code,
          redirect_uri: redirectUri,
        }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const body = (await response.json().catch(() => ({}))) as Json;
      if (response.ok && typeof body.access_token === "string") return body.access_token;
      const reason = typeof body.error_description === "string" ? body.error_description : response.status;
      throw new GitHubAuthError(`GitHub did not complete the sign-in (${reason})`);
    },
    async user(token) {
      const { status, body } = await get(token, "/user");
      if (status !== 200 || Array.isArray(body) || typeof body.login !== "string") {
        throw new GitHubAuthError(`GitHub did not say who this token belongs to (status ${status})`);
      }
      return { login: body.login };
    },
    async readableRepositories(token) {
      const installations = await list(token, "/user/installations", "installations");
      const names = new Set<string>();
      for (const installation of installations) {
        if (typeof installation.id !== "number") continue;
        const path = `/user/installations/${installation.id}/repositories`;
        for (const repository of await list(token, path, "repositories")) {
          if (typeof repository.full_name === "string") names.add(repository.full_name);
        }
      }
      return [...names];
    },
    async permissions(token, repository) {
      const { status, body } = await get(token, `/repos/${repository}`);
      if (status !== 200 || Array.isArray(body)) return { read: false, write: false };
      const granted = (body.permissions ?? {}) as Record<string, unknown>;
      const write = granted.push === true || granted.maintain === true || granted.admin === true;
      return { read: write || granted.pull === true || granted.triage === true, write };
    },
  };
}
