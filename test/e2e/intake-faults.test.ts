import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { cleanEnv, type RunningCli, startCli, waitForHttp } from "../helpers/cli-process.ts";
import { freePort } from "../helpers/free-port.ts";
import {
  commentPayload,
  deliverWebhook,
  type GitHubWorld,
  startGitHubWorld,
} from "../helpers/github-world.ts";
import { createServerDatabase, serverUrl } from "../helpers/test-database.ts";

// The durable intake, as processes: `loopwright serve` with a fake GitHub that fails or hangs on
// chosen calls. Every case must end with the task done — 0 lost commands, 0 duplicate tasks or PRs.
describe("durable intake under faults", () => {
  let world: GitHubWorld | undefined;
  const servers: RunningCli[] = [];

  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.child.kill("SIGKILL");
      await server.exited;
    }
    await world?.close();
    world = undefined;
  });

  async function serve(port: number, extra: Record<string, string> = {}): Promise<RunningCli> {
    const server = startCli(["serve"], { env: cleanEnv(world!.env({ PORT: String(port), ...extra })) });
    servers.push(server);
    await waitForHttp(`http://127.0.0.1:${port}/ready`, server, { status: 200 });
    return server;
  }

  const pullsOpened = () =>
    world!.github.requests.filter((request) => request.method === "POST" && /\/pulls$/.test(request.path));
  const failureReplies = () =>
    world!.github.requests.filter(
      (request) =>
        request.method === "POST" &&
        /\/comments$/.test(request.path) &&
        /something went wrong/.test(JSON.stringify(request.body)),
    );

  it("answers 202 at once while GitHub fails, then handles the command once GitHub is back", {
    timeout: 400_000,
  }, async () => {
    world = await startGitHubWorld({ fixture: "sum", transcript: "fix-sum" });
    // More failures than Octokit retries within one request: the intake job must retry them later.
    world.github.fail({
      method: "GET",
      path: /\/contents\/\.github%2Floopwright\.yml|\/contents\/\.github\/loopwright\.yml/,
      times: 4,
      reply: { status: 503, body: { message: "Service Unavailable" } },
    });
    world.github.fail({
      method: "GET",
      path: /\/collaborators\/[^/]+\/permission$/,
      times: 4,
      reply: { status: 502, body: { message: "Bad Gateway" } },
    });
    const port = await freePort();
    await serve(port);
    const sent = Date.now();
    const response = await deliverWebhook(
      `http://127.0.0.1:${port}/api/github/webhooks`,
      world.webhookSecret,
      {
        name: "issue_comment",
        id: "faults-1",
        payload: commentPayload(world, "/agent fix"),
      },
    );
    expect(response.status).toBe(202);
    expect(Date.now() - sent).toBeLessThan(30_000);
    await world.github.waitFor("POST", /\/pulls$/, 300_000);
    // Delivered again by GitHub (a retry of the same delivery): nothing new happens.
    const again = await deliverWebhook(`http://127.0.0.1:${port}/api/github/webhooks`, world.webhookSecret, {
      name: "issue_comment",
      id: "faults-1",
      payload: commentPayload(world, "/agent fix"),
    });
    expect(await again.json()).toEqual({ delivery: "faults-1", accepted: false });
    expect(pullsOpened()).toHaveLength(1);
    expect(failureReplies()).toEqual([]);
  });

  const modes: {
    name: string;
    database(): Promise<{ env: Record<string, string>; drop(): Promise<void> }>;
  }[] = [{ name: "embedded database", database: async () => ({ env: {}, drop: async () => {} }) }];
  if (serverUrl) {
    modes.push({
      name: "PostgreSQL",
      async database() {
        const database = await createServerDatabase();
        return { env: { DATABASE_URL: database.url }, drop: database.drop };
      },
    });
  } else {
    console.log("intake-faults: the PostgreSQL case is skipped: TEST_DATABASE_URL is not set");
  }

  it.each(modes)(
    "handles a delivery stored just before `serve` was killed, once, after it starts again ($name)",
    {
      timeout: 400_000,
    },
    async (mode) => {
      const database = await mode.database();
      onTestFinished(() => database.drop());
      world = await startGitHubWorld({ fixture: "sum", transcript: "fix-sum" });
      let release: () => void = () => {};
      const hung = new Promise<void>((resolve) => {
        release = resolve;
      });
      // The first intake hangs on its first GitHub call, as if GitHub stopped answering.
      world.github.fail({
        method: "GET",
        path: /\/collaborators\/[^/]+\/permission$/,
        times: 1,
        hang: hung,
        reply: { status: 502 },
      });
      const port = await freePort();
      const first = await serve(port, database.env);
      const response = await deliverWebhook(
        `http://127.0.0.1:${port}/api/github/webhooks`,
        world.webhookSecret,
        {
          name: "issue_comment",
          id: "killed-1",
          payload: commentPayload(world, "/agent fix"),
        },
      );
      expect(response.status).toBe(202);
      await world.github.waitFor("GET", /\/collaborators\/[^/]+\/permission$/);
      first.child.kill("SIGKILL");
      await first.exited;
      release();
      await serve(port, database.env);
      await world.github.waitFor("POST", /\/pulls$/, 300_000);
      expect(pullsOpened()).toHaveLength(1);
      expect(failureReplies()).toEqual([]);
    },
  );
});
