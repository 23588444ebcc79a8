import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, detectSandboxMode } from "../../src/workspace/sandbox.ts";
import { type Workspace, Workspaces } from "../../src/workspace/workspace.ts";
import { createRemote, removeDir, tempDir } from "./helpers/git-repos.ts";

const bwrap = await detectSandboxMode("bwrap").then(
  () => true,
  () => false,
);

let root: string;
let workspaces: Workspaces;
let ws: Workspace;

beforeAll(async () => {
  root = tempDir("ws-sandbox");
  const remote = createRemote(root);
  workspaces = await Workspaces.open({
    dataDir: path.join(root, "data"),
    cacheMaxBytes: 2 ** 30,
    spareTrees: 0,
  });
  ws = await workspaces.create({ url: remote.path, target: { kind: "default" }, branch: "sandboxed" });
});
afterAll(async () => {
  await ws?.dispose();
  removeDir(root);
});

describe.skipIf(!bwrap)("a workspace inside the bwrap sandbox", () => {
  const run = async (command: string) => {
    const sandbox = await createSandbox({
      mode: "bwrap",
      workspace: ws.path,
      readOnlyPaths: [ws.sharedObjects],
    });
    return sandbox.run({ argv: ["bash", "-c", command], cwd: ws.path, timeoutMs: 20_000 });
  };

  it("lets the model use git on its own tree", async () => {
    const result = await run(
      "echo x > new.txt && git add new.txt && git -c user.name=m -c user.email=m@x commit -qm t && git log --format=%s -2",
    );
    expect(result.output.trim()).toBe("t\ninitial");
    expect(result.exitCode).toBe(0);
  });

  it("cannot write the shared mirror nor see Loopwright's host git dir and cache", async () => {
    const mirror = path.dirname(ws.sharedObjects);
    const result = await run(
      `touch ${ws.sharedObjects}/x; git --git-dir=${mirror} update-ref refs/heads/evil HEAD; ls ${ws.hostGitDir}; ls ${workspaces.cache.root}/leases`,
    );
    expect(result.output).toMatch(/Read-only file system/);
    expect(result.output).toMatch(new RegExp(`cannot access '${ws.hostGitDir}'`));
    expect(result.output).toMatch(/cannot access '.*leases'/);
  });
});
