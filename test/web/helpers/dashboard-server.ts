import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createLogger } from "../../../src/logger.ts";
import type { Database } from "../../../src/store/database.ts";
import { createStepRecorder, type StepRecorder } from "../../../src/store/steps.ts";
import { createTask, startAttempt, type Task } from "../../../src/store/tasks.ts";
import { createDashboard, type Dashboard, type DashboardOptions } from "../../../src/web/dashboard.ts";
import { createGitHubUserApi } from "../../../src/web/github-user.ts";
import { openTestDatabase, type TestDatabase } from "../../helpers/test-database.ts";
import type { FakeGitHubUsers } from "./fake-github-users.ts";

export type DashboardServer = {
  url: string;
  db: Database;
  dashboard: Dashboard;
  close(): Promise<void>;
};

/**
 * The dashboard on a local HTTP server (127.0.0.1, a free port) over a fresh in-memory database,
 * against a fake GitHub: what `loopwright serve` mounts, without the rest of the process.
 *
 * @example
 * const server = await startDashboardServer(fake, { admins: ["ada"] });
 */
export async function startDashboardServer(
  fake: FakeGitHubUsers,
  options: Partial<DashboardOptions> & { sharedDb?: Database } = {},
): Promise<DashboardServer> {
  const { sharedDb, ...overrides } = options;
  // A database of its own unless given one (which stays open for its owner to close).
  const owned = sharedDb ? undefined : await openTestDatabase("pglite");
  const db: Database = sharedDb ?? (owned as TestDatabase);
  let dashboard: Dashboard | undefined;
  const server: Server = createServer(async (request, response) => {
    if (dashboard && (await dashboard.handler(request, response))) return;
    response.writeHead(404).end("not the dashboard");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dashboard = createDashboard({
    publicUrl: url,
    githubUrl: fake.webUrl,
    oauth: true,
    admins: [],
    database: () => db,
    github: createGitHubUserApi({
      apiUrl: fake.apiUrl,
      webUrl: fake.webUrl,
      clientId: "Iv1.testclient",
      clientSecret: "test-client-secret",
    }),
    key: randomBytes(32),
    log: createLogger({ logLevel: (process.env.TEST_LOG as "info" | undefined) ?? "silent" }),
    pollIntervalMs: 100,
    ...overrides,
  });
  const active = dashboard;
  return {
    url,
    db,
    dashboard: active,
    async close() {
      active.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await owned?.dispose();
    },
  };
}

/** A task of `repository` (#number), started (running, attempt 1) unless told otherwise. */
export async function seedTask(
  db: Database,
  repository: string,
  options: { number?: number; kind?: string; requester?: string; running?: boolean } = {},
): Promise<{ task: Task; steps: StepRecorder }> {
  const { task } = await createTask(db, {
    kind: options.kind ?? "fix",
    repository,
    trigger: "comment",
    requester: options.requester ?? "octocat",
    ...(options.number === undefined ? {} : { number: options.number }),
  });
  if (options.running === false) return { task, steps: createStepRecorder(db, task.id, 0) };
  const started = (await startAttempt(db, task.id, "test-worker")) as Task;
  return { task: started, steps: createStepRecorder(db, started.id, started.attempt) };
}

/** A `tool_call` step payload as the agent records it. */
export function toolCallPayload(command: string, exitCode: number, output: string) {
  return {
    type: "tool_call",
    step: 1,
    at: new Date().toISOString(),
    callId: "call_1",
    name: "shell",
    arguments: JSON.stringify({ command: ["bash", "-lc", command] }),
    exitCode,
    isError: false,
    durationMs: 420,
    output,
    fullOutput: output,
    fullOutputTruncated: false,
  };
}
