import type { ModelClient } from "../agent/model.ts";
import { createModelFromSettings } from "../agent/models/create-model.ts";
import type { RepoConfig } from "../config/repo-config.ts";
import type { Settings } from "../config/settings.ts";
import { createGitHubApp, type GitHubApp } from "../github/installation.ts";
import type { Logger } from "../logger.ts";
import type { Database } from "../store/database.ts";
import type { TaskHandler } from "../worker/task-handler.ts";
import { Workspaces } from "../workspace/workspace.ts";
import { createEvalHandler } from "./eval.ts";
import { fixTask } from "./fix.ts";
import { createGitHubTaskHandler, type GitHubTaskDependencies } from "./github-task.ts";
import { iterateTask } from "./iterate.ts";
import { createMaintainHandler } from "./maintain.ts";
import { createReviewTaskHandler } from "./review.ts";
import { createSubmitHandler } from "./submit.ts";

/** The task handlers of a worker process and what they hold open. */
export type TaskHandlerSet = {
  handlers: Map<string, TaskHandler>;
  workspaces: Workspaces;
  close(): Promise<void>;
};

/** The model of a task: the repository's choice where it made one, else the process settings. */
export function modelFactory(settings: Pick<Settings, "model">): (config: RepoConfig) => ModelClient {
  return (config) =>
    createModelFromSettings(settings.model, {
      name: config.model.name ?? undefined,
      reasoningEffort: config.model.reasoning_effort ?? undefined,
    });
}

/** GitHub tasks fail with this when the process has no App credentials, instead of crashing the worker. */
function withoutGitHub(reason: string): TaskHandler {
  return async () => ({ status: "failed", error: reason });
}

/**
 * The handler of each task kind a worker runs. Each kind's module (`fix.ts`, `iterate.ts`, …) adds
 * its entry here; a task whose kind has no entry fails with a message naming the kind.
 *
 * @example
 * const { handlers, close } = await createTaskHandlers(settings, log, db);
 * const worker = await startWorker({ db, queue, handlers, log });
 */
export async function createTaskHandlers(
  settings: Settings,
  log: Logger,
  /** The database scheduled maintenance and review memory live in; without it `maintain` and `review` tasks fail. */
  db?: Database,
): Promise<TaskHandlerSet> {
  const workspaces = await Workspaces.open({
    dataDir: settings.dataDir,
    cacheMaxBytes: settings.cacheMaxMegabytes * 2 ** 20,
    logger: log,
  });
  const handlers = new Map<string, TaskHandler>();
  handlers.set(
    "submit",
    createSubmitHandler({ settings, workspaces, log, createModel: modelFactory(settings) }),
  );
  if (db) handlers.set("eval", createEvalHandler({ settings, workspaces, log, db }));
  let github: GitHubApp | undefined;
  try {
    github = createGitHubApp(settings, log);
  } catch (error) {
    const reason = (error as Error).message;
    log.info({ reason }, "GitHub tasks (fix, iterate) will fail in this process");
    for (const kind of ["fix", "iterate", "maintain", "review"]) handlers.set(kind, withoutGitHub(reason));
  }
  if (github) {
    const deps: GitHubTaskDependencies = {
      settings,
      workspaces,
      log,
      github,
      createModel: modelFactory(settings),
    };
    handlers.set("fix", createGitHubTaskHandler(deps, fixTask));
    handlers.set("iterate", createGitHubTaskHandler(deps, iterateTask));
    if (db) {
      handlers.set("review", createReviewTaskHandler({ ...deps, db }));
      handlers.set(
        "maintain",
        createMaintainHandler({
          ...deps,
          db,
          installationHourlyCap: settings.maintenance.perInstallationPerHour,
        }),
      );
    }
  }
  return { handlers, workspaces, close: () => workspaces.close() };
}
