import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { commitAndPush, PushRejectedError } from "../../src/workspace/commit-push.ts";
import { GitError } from "../../src/workspace/git.ts";
import { Workspaces } from "../../src/workspace/workspace.ts";
import { type GitHttpServer, startGitHttpServer } from "./helpers/git-http-server.ts";
import {
  createRemote,
  filesContaining,
  git,
  removeDir,
  type TestRemote,
  tempDir,
} from "./helpers/git-repos.ts";

const TOKEN = "ghs_TestInstallationToken0123456789abcdef";
const BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString("base64");
const bot = { name: "loopwright[bot]", email: "1+loopwright[bot]@users.noreply.github.com" };

let root: string;
let remote: TestRemote;
let server: GitHttpServer;
let url: string;
let logged: string;
let workspaces: Workspaces;

beforeEach(async () => {
  root = tempDir("creds");
  mkdirSync(path.join(root, "srv", "acme"), { recursive: true });
  remote = createRemote(path.join(root, "srv", "acme"), "app.git");
  git(remote.path, "config", "http.receivepack", "true");
  server = await startGitHttpServer(path.join(root, "srv"), TOKEN);
  url = server.urlFor("acme/app.git");
  logged = "";
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logged += chunk;
      done();
    },
  });
  const logger = pino({ level: "trace" }, sink);
  workspaces = await Workspaces.open({
    dataDir: path.join(root, "data"),
    cacheMaxBytes: 2 ** 30,
    logger,
    spareTrees: 0,
  });
});
afterEach(async () => {
  await server.close();
  removeDir(root);
});

describe("the installation token", () => {
  it("authenticates fetch and push over HTTP yet appears in no file and no log line", async () => {
    await using ws = await workspaces.create({
      url,
      token: TOKEN,
      target: { kind: "pull", number: 3 },
      branch: "fix-1",
    });
    expect(git(ws.path, "rev-parse", "HEAD")).toBe(remote.pullSha);
    writeFileSync(path.join(ws.path, "fix.txt"), "fixed\n");
    const result = await commitAndPush(ws, { message: "Fix", author: bot }, { token: TOKEN });
    expect(result.status).toBe("pushed");
    expect(git(remote.path, "rev-parse", "refs/heads/agent/fix-1")).toBe(
      result.status === "pushed" && result.sha,
    );
    expect(server.authorizations.every((header) => header === `Basic ${BASIC}` || header === undefined)).toBe(
      true,
    );
    expect(server.authorizations.filter(Boolean).length).toBeGreaterThan(0);

    const data = path.join(root, "data");
    for (const needle of [TOKEN, BASIC]) {
      expect(filesContaining(data, needle)).toEqual([]);
      expect(logged).not.toContain(needle);
    }
    expect(logged).toContain("workspace ready");
  });

  it("is needed: without it the fetch fails with a clear, token-free error", async () => {
    const error = await workspaces
      .create({ url, target: { kind: "default" }, branch: "x" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GitError);
    expect((error as GitError).message).toMatch(/git clone failed on 127\.0\.0\.1:\d+\/acme\/app/);
  });

  it("a wrong token makes the push an authentication rejection that never quotes the token", async () => {
    await using ws = await workspaces.create({
      url,
      token: TOKEN,
      target: { kind: "default" },
      branch: "fix-2",
    });
    writeFileSync(path.join(ws.path, "x.txt"), "x\n");
    const wrong = "ghs_WrongToken00000000000000000000000000";
    const error = (await commitAndPush(ws, { message: "m", author: bot }, { token: wrong }).catch(
      (caught: unknown) => caught,
    )) as PushRejectedError;
    expect(error).toBeInstanceOf(PushRejectedError);
    expect(error.reason).toBe("authentication");
    expect(error.message).toContain("credentials");
    expect(`${error.message}${String((error.cause as GitError).stderr)}`).not.toContain(wrong);
  });
});
