import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { freePort } from "../helpers/free-port.ts";
import { commentPayload, type GitHubWorld, startGitHubWorld } from "../helpers/github-world.ts";
import { type ServeProcess, startServe } from "../helpers/serve-process.ts";
import { createServerDatabase, serverUrl } from "../helpers/test-database.ts";

// The durable intake, as processes: `loopwright serve` with a fake GitHub that fails or hangs on
// chosen calls. Every case must end with the task done — 0 lost commands, 0 duplicate tasks or PRs.
describe("durable intake under faults", () => {
  let world: GitHubWorld | undefined;
  const servers: ServeProcess[] = [];

  afterEach(async () => {
    for (const server of servers.splice(0)) await server.stop("SIGKILL");
    await world?.close();
    world = undefined;
  });

  async function serve(extra: Record<string, string> = {}, port?: number): Promise<ServeProcess> {
    const server = await startServe(world!, extra, port);
    servers.push(server);
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
    const server = await serve();
    const command = { name: "issue_comment", id: "faults-1", payload: commentPayload(world, "/agent fix") };
    const sent = Date.now();
    const response = await server.deliver(command);
    expect(response.status).toBe(202);
    expect(Date.now() - sent).toBeLessThan(30_000);
    await world.github.waitFor("POST", /\/pulls$/, 300_000);
    // Delivered again by GitHub (a retry of the same delivery): nothing new happens.
    const again = await server.deliver(command);
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
      const first = await serve(database.env, port);
      const response = await first.deliver({
        name: "issue_comment",
        id: "killed-1",
        payload: commentPayload(world, "/agent fix"),
      });
      expect(response.status).toBe(202);
      await world.github.waitFor("GET", /\/collaborators\/[^/]+\/permission$/);
      await first.stop("SIGKILL");
      release();
      const second = await serve(database.env, port);
      await world.github.waitFor("POST", /\/pulls$/, 300_000).catch((error: Error) => {
        throw new Error(`${error.message}\nbefore the kill:\n${first.output()}\nafter:\n${second.output()}`);
      });
      expect(pullsOpened()).toHaveLength(1);
      expect(failureReplies()).toEqual([]);
    },
  );
});
