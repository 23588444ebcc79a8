import type { GitHubClient } from "./client.ts";
import { toGitHubApiError } from "./errors.ts";

export type PermissionCheck = {
  /** True for write, maintain and admin (and custom roles built on them). */
  allowed: boolean;
  /** GitHub's base permission: admin, write, read or none (maintain reads as write, triage as read). */
  permission: string;
  /** The role as named in the repository settings (maintain, triage or a custom role), when given. */
  roleName: string | undefined;
};

const ALLOWED = new Set(["admin", "write"]);

/**
 * Asks GitHub which permission a user has on a repository (never trusting `author_association`).
 * `permission` is the base level, which already folds maintain into write and custom roles into
 * their base, so it decides; `role_name` is only reported. A user GitHub does not know as a
 * collaborator (404) is not allowed.
 *
 * @example
 * const { allowed } = await checkPermission(octokit, { owner: "o", repo: "r", username: "ann" });
 * @throws GitHubApiError for any other API failure (rate limit, the app's own permissions, outage)
 */
export async function checkPermission(
  octokit: GitHubClient,
  target: { owner: string; repo: string; username: string },
): Promise<PermissionCheck> {
  try {
    const { data } = await octokit.request(
      "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
      target,
    );
    const permission = data.permission;
    return { allowed: ALLOWED.has(permission), permission, roleName: data.role_name || undefined };
  } catch (error) {
    if ((error as { status?: unknown }).status === 404) {
      return { allowed: false, permission: "none", roleName: undefined };
    }
    throw toGitHubApiError(error, `check ${target.username}'s permission on ${target.owner}/${target.repo}`);
  }
}
