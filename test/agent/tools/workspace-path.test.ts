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
    // Lexical only: symlinks are followed (and confined) inside the sandbox, never on the host.
    expect(resolveWorkspacePath(root, root, "inner/a.ts")).toBe(path.join(root, "inner/a.ts"));
  });

  it("refuses absolute paths outside and .. escapes", () => {
    expect(() => resolveWorkspacePath(root, root, "/etc/passwd")).toThrow(WorkspacePathError);
    expect(() => resolveWorkspacePath(root, root, "../secret/key.txt")).toThrow(/outside the workspace/);
    expect(() => resolveWorkspacePath(root, path.join(root, "src"), "../../x")).toThrow(
      /outside the workspace/,
    );
  });

  it("never touches the host's file system, so its answer reveals nothing about what exists there", () => {
    // A link to a host secret resolves to the link's own path; reading it happens in the sandbox.
    expect(resolveWorkspacePath(root, root, "key-link")).toBe(path.join(root, "key-link"));
    expect(resolveWorkspacePath(root, root, "escape/new-file.txt")).toBe(
      path.join(root, "escape/new-file.txt"),
    );
    expect(() => resolveWorkspacePath(root, root, "/nonexistent/x")).toThrow(/outside the workspace/);
    expect(() => resolveWorkspacePath(root, root, outside)).toThrow(/outside the workspace/);
  });
});
