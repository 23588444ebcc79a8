import { mkdir, mkdtemp, realpath, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { resolveWorkspacePath, WorkspacePathError } from "../../../src/agent/tools/workspace-path.ts";

let root: string;
let outside: string;

beforeAll(async () => {
  const base = await realpath(await mkdtemp(path.join(os.tmpdir(), "loopwright-paths-")));
  root = path.join(base, "repo");
  outside = path.join(base, "secret");
  await mkdir(path.join(root, "src"), { recursive: true });
  await mkdir(outside);
  await writeFile(path.join(outside, "key.txt"), "hunter2");
  await writeFile(path.join(root, "src", "a.ts"), "");
  await symlink(outside, path.join(root, "escape"));
  await symlink(path.join(outside, "key.txt"), path.join(root, "key-link"));
  await symlink(path.join(root, "src"), path.join(root, "inner"));
});

describe("resolveWorkspacePath", () => {
  it("resolves relative, absolute-inside and not-yet-existing paths", () => {
    expect(resolveWorkspacePath(root, root, "src/a.ts")).toBe(path.join(root, "src/a.ts"));
    expect(resolveWorkspacePath(root, path.join(root, "src"), "../src/a.ts")).toBe(
      path.join(root, "src/a.ts"),
    );
    expect(resolveWorkspacePath(root, root, path.join(root, "src"))).toBe(path.join(root, "src"));
    expect(resolveWorkspacePath(root, root, "new/dir/file.ts")).toBe(path.join(root, "new/dir/file.ts"));
    expect(resolveWorkspacePath(root, root, "inner/a.ts")).toBe(path.join(root, "src/a.ts"));
  });

  it("refuses absolute paths outside and .. escapes", () => {
    expect(() => resolveWorkspacePath(root, root, "/etc/passwd")).toThrow(WorkspacePathError);
    expect(() => resolveWorkspacePath(root, root, "../secret/key.txt")).toThrow(/outside the workspace/);
    expect(() => resolveWorkspacePath(root, path.join(root, "src"), "../../x")).toThrow(
      /outside the workspace/,
    );
  });

  it("refuses symlinks that resolve outside, for existing and new files", () => {
    expect(() => resolveWorkspacePath(root, root, "key-link")).toThrow(/through a symlink/);
    expect(() => resolveWorkspacePath(root, root, "escape/key.txt")).toThrow(/through a symlink/);
    expect(() => resolveWorkspacePath(root, root, "escape/new-file.txt")).toThrow(/through a symlink/);
  });
});
