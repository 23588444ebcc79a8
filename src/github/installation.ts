import { Probot } from "probot";
import type { Settings } from "../config/settings.ts";
import type { Logger } from "../logger.ts";
import { rememberSecret } from "../redact.ts";
import type { Identity } from "../workspace/commit-push.ts";
import type { GitHubClient } from "./client.ts";
import { withGitHubErrors } from "./errors.ts";
import { probotOptions } from "./octokit.ts";

/** An installation's API client and its short-lived token (for one git fetch or push). */
export type InstallationAccess = { octokit: GitHubClient; token: string };

/** The GitHub App as a worker uses it: installation access and the identity its commits carry. */
export type GitHubApp = {
  forInstallation(installationId: number): Promise<InstallationAccess>;
  /**
   * `<slug>[bot] <id+slug[bot]@users.noreply.github.com>`, so commits show the App's avatar; the
   * user look-up goes through an installation's client (app credentials only reach app routes).
   */
  botIdentity(octokit: GitHubClient): Promise<Identity>;
};

/**
 * The GitHub App from the process settings, for task handlers outside a webhook's context.
 *
 * @example
 * const app = createGitHubApp(settings, log);
 * const { octokit, token } = await app.forInstallation(task.installationId);
 * @throws Error naming the missing settings when this process has no App credentials
 */
export function createGitHubApp(settings: Pick<Settings, "github">, log: Logger): GitHubApp {
  const { appId, privateKey } = settings.github;
  if (appId === undefined || privateKey === undefined) {
    throw new Error(
      "this process has no GitHub App credentials: set APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH) to run GitHub tasks",
    );
  }
  const probot = new Probot(probotOptions(settings, log.child({ name: "github" })));
  let identity: Promise<Identity> | undefined;
  return {
    async forInstallation(installationId) {
      return withGitHubErrors(`authenticate as installation ${installationId}`, async () => {
        const octokit = await probot.auth(installationId);
        // A token of its own for git, asked through the App's client so GitHub Enterprise's base URL applies.
        const appOctokit = await probot.auth();
        const { data } = await appOctokit.rest.apps.createInstallationAccessToken({
          installation_id: installationId,
        });
        rememberSecret(data.token);
        return { octokit: octokit as unknown as GitHubClient, token: data.token };
      });
    },
    botIdentity(octokit) {
      identity ??= withGitHubErrors("read the App's identity", async () => {
        const appOctokit = await probot.auth();
        const { data: app } = await appOctokit.rest.apps.getAuthenticated();
        const login = `${app?.slug ?? "loopwright"}[bot]`;
        const { data: user } = await octokit.rest.users.getByUsername({ username: login });
        return { name: login, email: `${user.id}+${login}@users.noreply.github.com` };
      }).catch((error: unknown) => {
        identity = undefined;
        throw error;
      });
      return identity;
    },
  };
}
