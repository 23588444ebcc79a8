import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitError, runGit } from "../../src/workspace/git.ts";

const TOKEN = "ghs_ThisTokenMustNeverBeShown0123456789ab";
let server: Server;
let port = 0;
const sockets = new Set<Socket>();

beforeAll(async () => {
  // Accepts connections and never answers: a remote that hangs.
  server = createServer((socket) => {
    sockets.add(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("runGit", () => {
  it("names the operation and repository and quotes git's stderr without secrets", async () => {
    const error = (await runGit(["ls-remote", `/nonexistent/${TOKEN}`], {
      operation: "ls-remote",
      repository: "acme/app",
      token: TOKEN,
    }).catch((caught: unknown) => caught)) as GitError;
    expect(error).toBeInstanceOf(GitError);
    expect(error.message).toMatch(/^git ls-remote failed on acme\/app \(exit code \d+\): .*\[REDACTED\]/s);
    expect(error.message).not.toContain(TOKEN);
    expect(error.stderr).not.toContain(TOKEN);
  });

  it("kills a hanging git at the timeout", async () => {
    const started = Date.now();
    await expect(
      runGit(["ls-remote", `http://127.0.0.1:${port}/acme/app.git`], {
        operation: "ls-remote",
        repository: "acme/app",
        token: TOKEN,
        timeoutMs: 500,
      }),
    ).rejects.toThrow(/git ls-remote failed on acme\/app \(timed out after 500 ms\)/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("stops at an abort signal", async () => {
    const controller = new AbortController();
    const pending = runGit(["ls-remote", `http://127.0.0.1:${port}/acme/app.git`], {
      operation: "ls-remote",
      repository: "acme/app",
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toThrow(/\(aborted\)/);
  });

  it("ignores GIT_DIR and friends from the caller's environment", async () => {
    process.env.GIT_DIR = "/nonexistent";
    try {
      const { stdout } = await runGit(["--version"], { operation: "version", repository: "-" });
      expect(stdout).toMatch(/^git version/);
    } finally {
      delete process.env.GIT_DIR;
    }
  });
});
