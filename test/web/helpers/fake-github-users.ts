import { type FakeGitHub, startFakeGitHub } from "../../helpers/fake-github.ts";

export type FakeRepository = { fullName: string; permission: "read" | "write" };
export type FakeUser = { login: string; token: string; repositories: FakeRepository[] };

export type FakeGitHubUsers = {
  github: FakeGitHub;
  /** REST API root and web origin, as the dashboard takes them. */
  apiUrl: string;
  webUrl: string;
  /** Who GitHub's authorize page signs in next (as if that person were logged in on GitHub). */
  signInAs(login: string): void;
  close(): Promise<void>;
};

/**
 * A fake GitHub for the dashboard: the OAuth web flow (authorize redirects straight back with a code
 * for the chosen user, the code trades for that user's token) and the user-token API (`/user`,
 * `/user/installations`, their repositories, `/repos/{owner}/{repo}` with permissions). Each user's
 * repositories sit in one installation of the App.
 *
 * @example
 * const fake = await startFakeGitHubUsers([{ login: "rita", token: "ghu_rita", repositories: [...] }]);
 */
export async function startFakeGitHubUsers(users: FakeUser[]): Promise<FakeGitHubUsers> {
  const github = await startFakeGitHub();
  const webUrl = `http://${github.host}`;
  let next = users[0]?.login ?? "";
  const byToken = (authorization: string | string[] | undefined) =>
    users.find((user) => authorization === `Bearer ${user.token}`);
  const unauthorized = { status: 401, body: { message: "Bad credentials" } };

  github.route({
    method: "GET",
    path: /^\/login\/oauth\/authorize$/,
    reply: (request) => {
      const target = new URL(request.query.get("redirect_uri") ?? "");
      target.searchParams.set("code", `code-${next}`);
      target.searchParams.set("state", request.query.get("state") ?? "");
      return { status: 302, headers: { location: target.toString() } };
    },
  });
  github.route({
    method: "POST",
    path: /^\/login\/oauth\/access_token$/,
    reply: (request) => {
      const code = (request.body as { code?: string }).code ?? "";
      const user = users.find((candidate) => `code-${candidate.login}` === code);
      if (!user)
        return {
          status: 200,
          body: { error: "bad_verification_code", error_description: "The code is incorrect" },
        };
      return { status: 200, body: { access_token: user.token, token_type: "bearer" } };
    },
  });
  github.route({
    method: "GET",
    path: /^\/user$/,
    reply: (request) => {
      const user = byToken(request.headers.authorization);
      return user ? { status: 200, body: { login: user.login, id: 1 } } : unauthorized;
    },
  });
  github.route({
    method: "GET",
    path: /^\/user\/installations$/,
    reply: (request) => {
      const user = byToken(request.headers.authorization);
      if (!user) return unauthorized;
      const installations = user.repositories.length > 0 ? [{ id: 7 }] : [];
      return { status: 200, body: { total_count: installations.length, installations } };
    },
  });
  github.route({
    method: "GET",
    path: /^\/user\/installations\/7\/repositories$/,
    reply: (request) => {
      const user = byToken(request.headers.authorization);
      if (!user) return unauthorized;
      const repositories = user.repositories.map((repo) => ({ full_name: repo.fullName }));
      return { status: 200, body: { total_count: repositories.length, repositories } };
    },
  });
  github.route({
    method: "GET",
    path: /^\/repos\/([^/]+\/[^/]+)$/,
    reply: (request, match) => {
      const user = byToken(request.headers.authorization);
      if (!user) return unauthorized;
      const repo = user.repositories.find((candidate) => candidate.fullName === match[1]);
      if (!repo) return { status: 404, body: { message: "Not Found" } };
      const write = repo.permission === "write";
      return {
        status: 200,
        body: {
          full_name: repo.fullName,
          permissions: { pull: true, triage: write, push: write, maintain: false, admin: false },
        },
      };
    },
  });
  return {
    github,
    apiUrl: github.baseUrl,
    webUrl,
    signInAs(login) {
      next = login;
    },
    close: () => github.close(),
  };
}
