import { afterEach, describe, expect, it } from "vitest";
import { commentPayload, type GitHubWorld, startGitHubWorld } from "../helpers/github-world.ts";
import {
  initNode,
  type PostgresNode,
  type PostgresPlace,
  postgresPlace,
  postgresUnavailable,
} from "../helpers/postgres-server.ts";
import { type ServeProcess, startServe } from "../helpers/serve-process.ts";
import { waitFor } from "../helpers/wait-for.ts";

const unavailable = postgresUnavailable();
if (unavailable) console.log(`database-restart: skipped: ${unavailable}`);

// PostgreSQL restarted while a task runs (server mode): the connections it had are gone, and the
// task must still end once — done, with one PR and no "something went wrong".
describe.skipIf(unavailable !== undefined)("a PostgreSQL restart in the middle of a task", () => {
  let world: GitHubWorld | undefined;
  let server: ServeProcess | undefined;
  let place: PostgresPlace | undefined;
  let node: PostgresNode | undefined;

  afterEach(async () => {
    await server?.stop("SIGKILL");
    await world?.close();
    if (place && node) {
      try {
        place.stop(node, "immediate");
      } catch {
        // already stopped
      }
    }
    place?.remove();
  });

  it("ends the task once, with its pull request", { timeout: 600_000 }, async () => {
    place = postgresPlace();
    node = await initNode(place, "primary");
    place.start(node);
    world = await startGitHubWorld({ fixture: "sum", transcript: "fix-sum" });
    let answer: () => void = () => {};
    // The task waits on its first model answer while the database restarts under it.
    world.openai.fail({
      times: 1,
      hang: new Promise<void>((resolve) => {
        answer = resolve;
      }),
    });
    server = await startServe(world, { DATABASE_URL: node.url });
    const response = await server.deliver({
      name: "issue_comment",
      id: "restart-1",
      payload: commentPayload(world, "/agent fix"),
    });
    expect(response.status).toBe(202);
    await waitFor(() => world!.openai.requests.length >= 1, 300_000, "the task's first model request");
    place.stop(node, "fast");
    place.start(node);
    answer();
    await world.github.waitFor("POST", /\/pulls$/, 300_000).catch((error: Error) => {
      throw new Error(`${error.message}\nserver output:\n${server?.output()}`);
    });
    const progress = await waitFor(
      () => world!.commentsOn(1).find((body) => /✅|❌/.test(body)),
      120_000,
      "the progress comment's ending",
    );
    expect(progress).toMatch(/✅/);
    const pulls = world.github.requests.filter(
      (request) => request.method === "POST" && /\/pulls$/.test(request.path) && request.status === 201,
    );
    expect(pulls).toHaveLength(1);
    expect(world.commentsOn(1).some((body) => /something went wrong/i.test(body))).toBe(false);
  });
});
