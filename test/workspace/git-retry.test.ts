import { describe, expect, it } from "vitest";
import { GitError } from "../../src/workspace/git.ts";
import { isTransientGitFailure, retryTransientGit } from "../../src/workspace/git-retry.ts";

const failure = (stderr: string, exitCode: number | null = 128) =>
  new GitError("push", "o/r", exitCode, stderr, exitCode === null ? "killed" : `exit ${exitCode}`);

describe("isTransientGitFailure", () => {
  it.each([
    "fatal: unable to access 'https://github.com/o/r/': The requested URL returned error: 502",
    "error: RPC failed; HTTP 500 curl 22 The requested URL returned error: 500",
    "fatal: the remote end hung up unexpectedly",
    "fatal: early EOF",
    "fatal: unable to access 'https://github.com/o/r/': Could not resolve host: github.com",
    "fatal: unable to access 'https://github.com/o/r/': Connection reset by peer",
    "error: RPC failed; curl 92 HTTP/2 stream 5 was not closed cleanly: CANCEL (err 8)",
  ])("retries %s", (stderr) => {
    expect(isTransientGitFailure(failure(stderr))).toBe(true);
  });

  it.each([
    "fatal: unable to access 'https://github.com/o/r/': The requested URL returned error: 403",
    "remote: Repository not found.\nfatal: repository 'https://github.com/o/r/' not found",
    " ! [remote rejected] agent/x -> agent/x (protected branch hook declined)",
    " ! [rejected]        agent/x -> agent/x (non-fast-forward)",
    "remote: the service is temporarily unavailable, try again\n ! [remote rejected] agent/x -> agent/x (pre-receive hook declined)",
  ])("does not retry %s", (stderr) => {
    expect(isTransientGitFailure(failure(stderr))).toBe(false);
  });

  it("does not retry a killed git (a timeout or a stop) or an error that is not git's", () => {
    expect(isTransientGitFailure(failure("fatal: early EOF", null))).toBe(false);
    expect(isTransientGitFailure(new Error("returned error: 502"))).toBe(false);
  });
});

describe("retryTransientGit", () => {
  it("tries again after a transient failure, as often as there are delays", async () => {
    let calls = 0;
    const result = await retryTransientGit(
      async () => {
        calls++;
        if (calls < 3) throw failure("fatal: the remote end hung up unexpectedly");
        return "pushed";
      },
      { delaysMs: [1, 1] },
    );
    expect(result).toBe("pushed");
    expect(calls).toBe(3);
  });

  it("throws the last transient failure, and any other failure at once", async () => {
    let calls = 0;
    await expect(
      retryTransientGit(
        async () => {
          calls++;
          throw failure("fatal: early EOF");
        },
        { delaysMs: [1, 1] },
      ),
    ).rejects.toThrow(/early EOF/);
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      retryTransientGit(
        async () => {
          calls++;
          throw failure(" ! [rejected] agent/x -> agent/x (non-fast-forward)");
        },
        { delaysMs: [1, 1] },
      ),
    ).rejects.toThrow(/non-fast-forward/);
    expect(calls).toBe(1);
  });
});
