import { composeConfigGet } from "@probot/octokit-plugin-config";
import type { Probot } from "probot";
import { z } from "zod";
import { type ParsedRepoConfig, parseRepoConfig, REPO_CONFIG_FILE } from "../config/repo-config.ts";
import type { Logger } from "../logger.ts";
import type { Database } from "../store/database.ts";
import {
  findSchedule,
  forgetRepositories,
  listSchedules,
  type Schedule,
  setPaused,
  syncRepositorySchedules,
} from "../store/schedules.ts";
import { checkPermission } from "./authorize.ts";
import type { GitHubClient } from "./client.ts";
import { addEyesReaction, postComment } from "./comments.ts";
import { transientGitHubFailure, withGitHubErrors } from "./errors.ts";
import { DASHBOARD_MARKER, parseDashboardTicks, publishDashboard } from "./maintenance-dashboard.ts";
import { renderRefusalReply } from "./replies.ts";

/** What the maintenance webhooks need of the store and the queue; injected so tests pass fakes. */
export type MaintenanceDependencies = {
  db: Database;
  /** Records a run asked for by a person and queues its task, once per `eventKey`. */
  startRun(
    schedule: Schedule,
    trigger: "run_now" | "command",
    eventKey: string,
  ): Promise<{ taskId: number; created: boolean }>;
  now?: () => Date;
};

/** A repository as the sync needs it. */
export type SyncTarget = {
  fullName: string;
  installationId: number;
  defaultBranch: string;
  cloneUrl: string;
};

const CONFIG_PATH = `.github/${REPO_CONFIG_FILE}`;

/**
 * Reads `.github/loopwright.yml` from a repository's default branch the way Probot's `context.config`
 * does (falling back to the organization's `.github` repository, honouring `_extends`). Undefined when
 * the file cannot be read (YAML errors): the stored schedules are then left as they are.
 *
 * @example
 * const parsed = await readRepoConfig(octokit, { owner: "o", repo: "r" }, "main");
 * @throws GitHubApiError for GitHub outages, so the caller retries
 */
export async function readRepoConfig(
  octokit: GitHubClient,
  target: { owner: string; repo: string },
  defaultBranch: string,
  log: Logger,
): Promise<ParsedRepoConfig | undefined> {
  try {
    const { config } = await composeConfigGet(octokit as unknown as Parameters<typeof composeConfigGet>[0], {
      ...target,
      path: CONFIG_PATH,
    });
    return parseRepoConfig(config ?? {}, { defaultBranch });
  } catch (error) {
    const transient = transientGitHubFailure(error);
    if (transient) throw transient;
    log.warn(
      { err: error, repository: `${target.owner}/${target.repo}` },
      "schedules: the config file cannot be read",
    );
    return undefined;
  }
}

/**
 * Re-reads one repository's schedules from its default branch into the database and refreshes its
 * dashboard issue when the schedules changed.
 *
 * @example
 * await syncRepository(octokit, deps, { fullName: "o/r", installationId: 1, defaultBranch: "main", cloneUrl }, log);
 */
export async function syncRepository(
  octokit: GitHubClient,
  deps: MaintenanceDependencies,
  target: SyncTarget,
  log: Logger,
): Promise<void> {
  const [owner = "", repo = ""] = target.fullName.split("/");
  const parsed = await readRepoConfig(octokit, { owner, repo }, target.defaultBranch, log);
  if (!parsed) return;
  if (parsed.problems.length > 0) {
    log.info({ repository: target.fullName, problems: parsed.problems }, "schedules: config problems");
  }
  const now = deps.now?.() ?? new Date();
  const result = await syncRepositorySchedules(
    deps.db,
    {
      repository: target.fullName,
      installationId: target.installationId,
      defaultBranch: target.defaultBranch,
      cloneUrl: target.cloneUrl,
      config: parsed.config,
      problems: parsed.problems,
    },
    now,
  );
  // A file with problems redraws the dashboard too: it is where they are shown.
  const changed =
    result.added.length + result.changed.length + result.removed.length + parsed.problems.length > 0;
  if (changed) {
    log.info({ repository: target.fullName, ...result }, "schedules: synced from the default branch");
    await publishDashboard({ db: deps.db, octokit, repository: target.fullName, now });
  }
}

/**
 * Re-reads the schedules of every repository an installation can reach, and forgets those it no
 * longer can.
 *
 * @example
 * await syncInstallation(octokit, deps, 42, log);
 */
export async function syncInstallation(
  octokit: GitHubClient,
  deps: MaintenanceDependencies,
  installationId: number,
  log: Logger,
): Promise<void> {
  const repositories = await withGitHubErrors("list the installation's repositories", () =>
    octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 }),
  );
  const reachable = repositories.filter((repo) => !repo.archived);
  for (const repo of reachable) {
    await syncRepository(
      octokit,
      deps,
      {
        fullName: repo.full_name,
        installationId,
        defaultBranch: repo.default_branch,
        cloneUrl: repo.clone_url,
      },
      log,
    );
  }
  const { rows } = await deps.db.query<{ repository: string }>(
    "select repository from loopwright.maintained_repositories where installation_id = $1",
    [installationId],
  );
  const names = new Set(reachable.map((repo) => repo.full_name));
  await forgetRepositories(
    deps.db,
    rows.map((row) => row.repository).filter((name) => !names.has(name)),
  );
}

const repositorySchema = z.looseObject({
  full_name: z.string(),
  name: z.string(),
  clone_url: z.string(),
  default_branch: z.string(),
});
const pushSchema = z.looseObject({
  ref: z.string(),
  repository: repositorySchema,
  installation: z.looseObject({ id: z.number() }),
  commits: z
    .array(
      z.looseObject({
        added: z.array(z.string()).default([]),
        modified: z.array(z.string()).default([]),
        removed: z.array(z.string()).default([]),
      }),
    )
    .default([]),
});

/** GitHub lists at most 20 commits in a push payload: a fuller push may touch the file unseen. */
const PUSH_COMMITS_LISTED = 20;

/**
 * Whether a push changes the schedules: a push to the default branch whose commits touch
 * `.github/loopwright.yml` (or that lists so many commits that some may be missing).
 *
 * @example
 * pushTouchesConfig(payload); // true
 */
export function pushTouchesConfig(payload: z.infer<typeof pushSchema>): boolean {
  if (payload.ref !== `refs/heads/${payload.repository.default_branch}`) return false;
  if (payload.commits.length >= PUSH_COMMITS_LISTED) return true;
  return payload.commits.some((commit) =>
    [...commit.added, ...commit.modified, ...commit.removed].includes(CONFIG_PATH),
  );
}

async function onPush(octokit: GitHubClient, deps: MaintenanceDependencies, payload: unknown, log: Logger) {
  const parsed = pushSchema.safeParse(payload);
  if (!parsed.success) return log.info("push: malformed payload, ignored");
  const push = parsed.data;
  if (!pushTouchesConfig(push)) return log.debug("push: does not change .github/loopwright.yml");
  // The organization's `.github` repository holds the file its other repositories fall back to.
  if (push.repository.name === ".github") return syncInstallation(octokit, deps, push.installation.id, log);
  await syncRepository(
    octokit,
    deps,
    {
      fullName: push.repository.full_name,
      installationId: push.installation.id,
      defaultBranch: push.repository.default_branch,
      cloneUrl: push.repository.clone_url,
    },
    log,
  );
}

const installationSchema = z.looseObject({
  action: z.string(),
  installation: z.looseObject({ id: z.number() }),
  repositories: z.array(z.looseObject({ full_name: z.string() })).optional(),
  repositories_removed: z.array(z.looseObject({ full_name: z.string() })).optional(),
});

async function onInstallation(
  octokit: GitHubClient,
  deps: MaintenanceDependencies,
  payload: unknown,
  log: Logger,
) {
  const parsed = installationSchema.safeParse(payload);
  if (!parsed.success) return log.info("installation: malformed payload, ignored");
  const event = parsed.data;
  if (event.action === "deleted") {
    return forgetRepositories(
      deps.db,
      (event.repositories ?? []).map((repo) => repo.full_name),
    );
  }
  if (event.action === "removed") {
    return forgetRepositories(
      deps.db,
      (event.repositories_removed ?? []).map((repo) => repo.full_name),
    );
  }
  if (event.action === "created" || event.action === "added" || event.action === "unsuspend") {
    await syncInstallation(octokit, deps, event.installation.id, log);
  }
}

const editedSchema = z.looseObject({
  repository: z.looseObject({
    full_name: z.string(),
    owner: z.looseObject({ login: z.string() }),
    name: z.string(),
  }),
  issue: z.looseObject({
    number: z.number(),
    body: z.string().nullable(),
    user: z.looseObject({ type: z.string().optional() }).nullable(),
  }),
  sender: z.looseObject({ login: z.string(), type: z.string().optional() }),
});

const isBot = (sender: { login: string; type?: string | undefined }) =>
  sender.type === "Bot" || /\[bot\]$/i.test(sender.login);

async function onDashboardEdited(
  octokit: GitHubClient,
  deps: MaintenanceDependencies,
  payload: unknown,
  deliveryId: string,
  log: Logger,
) {
  const parsed = editedSchema.safeParse(payload);
  if (!parsed.success) return;
  const { repository, issue, sender } = parsed.data;
  if (issue.user?.type !== "Bot" || !issue.body?.includes(DASHBOARD_MARKER)) return;
  // Loopwright's own edits (and other bots') change nothing.
  if (isBot(sender)) return;
  const now = deps.now?.() ?? new Date();
  const republish = () => publishDashboard({ db: deps.db, octokit, repository: repository.full_name, now });
  const owner = repository.owner.login;
  const access = await checkPermission(octokit, { owner, repo: repository.name, username: sender.login });
  if (!access.allowed) {
    log.info({ sender: sender.login }, "dashboard: a tick by someone without write access was undone");
    await republish();
    return;
  }
  const ticks = parseDashboardTicks(issue.body);
  for (const schedule of await listSchedules(deps.db, repository.full_name)) {
    const pause = ticks.pause.get(schedule.name);
    if (pause !== undefined && pause !== schedule.paused) {
      await setPaused(deps.db, schedule.id, pause, `paused by @${sender.login}`);
      log.info({ schedule: schedule.name, paused: pause, by: sender.login }, "dashboard: pause changed");
    }
    if (ticks.runNow.includes(schedule.name)) {
      const started = await deps.startRun(schedule, "run_now", `dashboard:${deliveryId}:${schedule.name}`);
      log.info({ schedule: schedule.name, ...started, by: sender.login }, "dashboard: run now");
    }
  }
  await republish();
}

/**
 * `/agent run <name>` in any issue comment (the commenter's write access already checked): starts a
 * run of the repository's schedule now, with a 👀 on the comment, or says which schedules exist.
 *
 * @example
 * await runScheduleCommand(octokit, deps, { repository: "o/r", number: 4, name: "deps", commentId: 9 }, log);
 */
export async function runScheduleCommand(
  octokit: GitHubClient,
  deps: MaintenanceDependencies,
  request: { repository: string; number: number; name: string; commentId: number },
  log: Logger,
): Promise<void> {
  const [owner = "", repo = ""] = request.repository.split("/");
  const schedule = await findSchedule(deps.db, request.repository, request.name);
  if (!schedule) {
    const known = (await listSchedules(deps.db, request.repository)).map((entry) => `\`${entry.name}\``);
    await postComment(
      octokit,
      { owner, repo, number: request.number },
      renderRefusalReply(
        `there is no schedule named "${request.name}" in .github/loopwright.yml on the default branch${
          known.length > 0 ? ` (there are: ${known.join(", ")})` : ""
        }`,
      ),
    );
    return;
  }
  const started = await deps.startRun(schedule, "command", `comment:${request.commentId}`);
  log.info({ schedule: schedule.name, ...started }, "run command: maintenance run queued");
  if (started.created) await addEyesReaction(octokit, { owner, repo, commentId: request.commentId });
}

/**
 * Registers the maintenance webhooks: schedules re-read on a push that changes the config file on the
 * default branch and on installation events, and the dashboard issue's checkboxes.
 *
 * @example
 * registerMaintenanceHandlers(app, { db, startRun });
 */
export function registerMaintenanceHandlers(app: Probot, deps: MaintenanceDependencies): void {
  const logOf = (context: { id: string; log: Logger }, handler: string) =>
    context.log.child({ delivery: context.id, handler });
  app.on("push", (context) =>
    onPush(context.octokit as unknown as GitHubClient, deps, context.payload, logOf(context, "push")),
  );
  app.on(["installation", "installation_repositories"], async (context) => {
    await onInstallation(
      context.octokit as unknown as GitHubClient,
      deps,
      context.payload,
      logOf(context, "installation"),
    );
  });
  app.on("issues.edited", (context) =>
    onDashboardEdited(
      context.octokit as unknown as GitHubClient,
      deps,
      context.payload,
      context.id,
      logOf(context, "dashboard"),
    ),
  );
}
