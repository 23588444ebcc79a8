import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  commentPayload,
  type GitHubWorld,
  startGitHubWorld,
  useRepositoryConfig,
} from "../helpers/github-world.ts";
import { type ServeProcess, startServe } from "../helpers/serve-process.ts";
import { waitFor } from "../helpers/wait-for.ts";

// Faults while a task runs, as processes: `loopwright serve` against a fake GitHub and a fake model
// that fail, limit or hang on chosen calls. Every task must end with its PR, or failed with the
// reason in its progress comment — never a hang, a lost command, a second comment or a second PR.
describe("tasks under GitHub and model faults", () => {
  let world: GitHubWorld;
  let server: ServeProcess;
  let nextDelivery = 1;

  beforeAll(async () => {
    world = await startGitHubWorld({ fixture: "sum", transcript: "fix-sum" });
    // One requester sends every command: the repository's config lifts the hourly limits.
    useRepositoryConfig(
      world,
      "limits:\n  per_requester_per_hour: 1000\n  per_repository_per_hour: 1000\n  per_requester_active: 10\n",
    );
    server = await startServe(world, {
      LOOPWRIGHT_GITHUB_TIMEOUT_SECONDS: "3",
      LOOPWRIGHT_MODEL_TIMEOUT_SECONDS: "5",
    });
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    await world?.close();
  });

  /** Pull requests the fake GitHub created (a faulted attempt created none) for an issue's branch. */
  const pullsFor = (issue: number) =>
    world.github.requests.filter(
      (request) =>
        request.method === "POST" &&
        request.status === 201 &&
        /\/pulls$/.test(request.path) &&
        new RegExp(`^agent/issue-${issue}-`).test((request.body as { head?: string }).head ?? ""),
    );
  const progressComments = (issue: number) =>
    world.commentsOn(issue).filter((body) => /Loopwright/.test(body) && !/^Usage|^\/agent/.test(body));

  async function fix(issue: number): Promise<void> {
    const response = await server.deliver({
      name: "issue_comment",
      id: `task-faults-${nextDelivery++}`,
      payload: commentPayload(world, "/agent fix", issue),
    });
    expect(response.status).toBe(202);
  }

  /** The progress comment once it shows the task finished (done, failed or stopped). */
  async function finished(issue: number): Promise<string> {
    let last = "";
    await waitFor(
      () => {
        last = progressComments(issue).at(-1) ?? "";
        return /✅|❌|⏹️/.test(last);
      },
      240_000,
      `the task on issue #${issue} to finish`,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nserver output:\n${server.output()}`);
    });
    return last;
  }

  async function expectOnePull(issue: number): Promise<void> {
    const ending = await finished(issue);
    expect(ending, ending).toMatch(/✅/);
    expect(pullsFor(issue)).toHaveLength(1);
    expect(progressComments(issue)).toHaveLength(1);
  }

  it("GitHub: rate limits and a hang on the progress comment and the PR creation", {
    timeout: 400_000,
  }, async () => {
    world.github.fail({
      method: "POST",
      path: /\/issues\/11\/comments$/,
      times: 2,
      reply: { status: 429, body: { message: "Too Many Requests" }, headers: { "retry-after": "1" } },
    });
    world.github.fail({
      method: "POST",
      path: /\/pulls$/,
      times: 1,
      reply: {
        status: 403,
        body: { message: "You have exceeded a secondary rate limit. Please wait a few minutes." },
        headers: { "retry-after": "1" },
      },
    });
    await fix(11);
    await expectOnePull(11);

    let release: () => void = () => {};
    const hung = new Promise<void>((resolve) => {
      release = resolve;
    });
    world.github.fail({ method: "POST", path: /\/pulls$/, times: 1, hang: hung, reply: { status: 502 } });
    await fix(12);
    try {
      await expectOnePull(12);
    } finally {
      release();
    }
  });

  it("model: 429 with retry-after, 500s, a hung answer and a malformed tool call are survived", {
    timeout: 400_000,
  }, async () => {
    const cases: { issue: number; fault: Parameters<GitHubWorld["openai"]["fail"]>[0] }[] = [
      {
        issue: 21,
        fault: {
          times: 2,
          reply: {
            status: 429,
            body: { error: { message: "Rate limit reached", type: "rate_limit_error" } },
            headers: { "retry-after": "1" },
          },
        },
      },
      {
        issue: 22,
        fault: {
          times: 2,
          reply: { status: 500, body: { error: { message: "boom", type: "server_error" } } },
        },
      },
      { issue: 23, fault: { times: 1, hang: new Promise((resolve) => setTimeout(resolve, 8_000)) } },
      {
        issue: 24,
        fault: {
          times: 1,
          output: [
            { type: "function_call", name: "read_file", arguments: '{"path": "sum.js"', call_id: "bad1" },
          ],
        },
      },
    ];
    for (const { issue, fault } of cases) {
      world.openai.fail(fault);
      await fix(issue);
      await expectOnePull(issue);
    }
  });

  it("model: an empty answer and a context overflow end the task with the reason", {
    timeout: 400_000,
  }, async () => {
    world.openai.fail({ times: 1, output: [] });
    await fix(31);
    expect(await finished(31)).toMatch(/❌[\s\S]*no message and no tool call/);
    world.openai.fail({
      times: 1,
      reply: {
        status: 400,
        body: {
          error: {
            message: "Your input exceeds the context window of this model.",
            type: "invalid_request_error",
            code: "context_length_exceeded",
          },
        },
      },
    });
    await fix(32);
    expect(await finished(32)).toMatch(/❌[\s\S]*context/i);
    expect(pullsFor(31)).toHaveLength(0);
    expect(pullsFor(32)).toHaveLength(0);
  });
});
