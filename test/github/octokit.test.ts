import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";
import { afterEach, describe, expect, it } from "vitest";
import { fetchWithTimeout, LoopwrightOctokit } from "../../src/github/octokit.ts";
import { API } from "./octokit.ts";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function client(options: Record<string, unknown> = {}) {
  nock.disableNetConnect();
  return new LoopwrightOctokit({ auth: "test-token", log: quiet, ...options });
}

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("LoopwrightOctokit", () => {
  it("retries a secondary rate limit after the wait GitHub names", async () => {
    const scope = nock(API)
      .post("/repos/o/r/pulls")
      .reply(403, { message: "You have exceeded a secondary rate limit." }, { "retry-after": "1" })
      .post("/repos/o/r/pulls")
      .reply(201, { number: 7 });
    const started = Date.now();
    const { data } = await client().request("POST /repos/{owner}/{repo}/pulls", {
      owner: "o",
      repo: "r",
      head: "agent/x",
      base: "main",
      title: "t",
    });
    expect(data).toEqual({ number: 7 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(scope.isDone()).toBe(true);
  });

  it("fails at once when GitHub asks for a wait longer than two minutes", async () => {
    nock(API)
      .post("/repos/o/r/issues/1/comments")
      .reply(403, { message: "You have exceeded a secondary rate limit." }, { "retry-after": "3600" });
    const started = Date.now();
    await expect(
      client().request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
        owner: "o",
        repo: "r",
        issue_number: 1,
        body: "hi",
      }),
    ).rejects.toMatchObject({ status: 403 });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("retries a primary rate limit whose reset is near", async () => {
    const reset = String(Math.ceil(Date.now() / 1000));
    nock(API)
      .get("/repos/o/r")
      .reply(
        403,
        { message: "API rate limit exceeded" },
        { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset },
      )
      .get("/repos/o/r")
      .reply(200, { full_name: "o/r" });
    const { data } = await client().request("GET /repos/{owner}/{repo}", { owner: "o", repo: "r" });
    expect(data).toEqual({ full_name: "o/r" });
  });
});

describe("fetchWithTimeout", () => {
  it("turns a GitHub that stops answering into a request error", async () => {
    const hung = createServer(() => {});
    await new Promise<void>((resolve) => hung.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = hung.address() as AddressInfo;
      const octokit = new LoopwrightOctokit({
        auth: "test-token",
        log: quiet,
        baseUrl: `http://127.0.0.1:${port}`,
        request: { fetch: fetchWithTimeout(200), retries: 0 },
      });
      await expect(
        octokit.request("GET /repos/{owner}/{repo}", { owner: "o", repo: "r" }),
      ).rejects.toMatchObject({
        status: 500,
        message: expect.stringMatching(/timeout/i),
      });
    } finally {
      hung.closeAllConnections();
      await new Promise((resolve) => hung.close(resolve));
    }
  });
});
