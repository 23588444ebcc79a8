import { runGit } from "./git.ts";
import { parseRepositoryUrl } from "./repository-url.ts";
import type { CheckoutTarget } from "./workspace.ts";

const OBJECT_ID = /^[0-9a-f]{7,64}$/i;

/**
 * What a user's `ref` names in a remote repository, as a checkout target: a branch first, then a tag
 * (checked out at the commit it points to), then a commit id (7 to 64 hex digits). No ref: the
 * default branch. Full names (`refs/heads/x`, `refs/tags/v1`) are taken as given.
 *
 * @example
 * await resolveCheckoutTarget("/srv/git/app.git", "release-2"); // { kind: "branch", name: "release-2" }
 * await resolveCheckoutTarget("/srv/git/app.git", "v1.2.0"); // { kind: "commit", sha: "4f1c…" }
 * await resolveCheckoutTarget("/srv/git/app.git", "4f1c2ab"); // { kind: "commit", sha: "4f1c2ab" }
 * @throws Error saying the ref is neither a branch, a tag nor a commit id; GitError when the remote cannot be read
 */
export async function resolveCheckoutTarget(
  url: string,
  ref: string | undefined,
  options: { token?: string; signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<CheckoutTarget> {
  if (ref === undefined) return { kind: "default" };
  const location = parseRepositoryUrl(url);
  const { stdout } = await runGit(["ls-remote", "--heads", "--tags", location.url], {
    operation: "ls-remote",
    repository: location.display,
    ...options,
  });
  const refs = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const [sha, name] = line.split("\t");
    if (sha && name) refs.set(name, sha);
  }
  const branch = ref.startsWith("refs/heads/") ? ref : `refs/heads/${ref}`;
  if (refs.has(branch)) return { kind: "branch", name: branch.slice("refs/heads/".length) };
  const tag = ref.startsWith("refs/tags/") ? ref : `refs/tags/${ref}`;
  // An annotated tag's commit is listed as `<tag>^{}`; a lightweight tag points at the commit itself.
  const tagged = refs.get(`${tag}^{}`) ?? refs.get(tag);
  if (tagged) return { kind: "commit", sha: tagged };
  if (OBJECT_ID.test(ref)) return { kind: "commit", sha: ref };
  throw new Error(`${JSON.stringify(ref)} is neither a branch, a tag nor a commit id of ${location.display}`);
}
