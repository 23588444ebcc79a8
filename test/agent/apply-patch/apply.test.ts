import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ApplyPatchError,
  applyPatch,
  formatApplyPatchSummary,
} from "../../../src/agent/apply-patch/index.ts";

const wrap = (body: string) => `*** Begin Patch\n${body}\n*** End Patch\n`;

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), "apply-patch-test-"));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function failure(
  patch: string,
  options: Parameters<typeof applyPatch>[1] = { cwd },
): Promise<ApplyPatchError> {
  const error = await applyPatch(patch, options).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(ApplyPatchError);
  return error as ApplyPatchError;
}

describe("applyPatch", () => {
  it("lists added, modified and deleted paths as written, in patch order", async () => {
    await writeFile(path.join(cwd, "m1.txt"), "a\n");
    await writeFile(path.join(cwd, "m2.txt"), "b\n");
    await writeFile(path.join(cwd, "gone.txt"), "c\n");
    const result = await applyPatch(
      wrap(
        "*** Add File: z.txt\n+z\n*** Update File: m2.txt\n@@\n-b\n+B\n*** Delete File: gone.txt\n*** Add File: a/b.txt\n+ab\n*** Update File: m1.txt\n*** Move to: moved/m1.txt\n@@\n-a\n+A",
      ),
      { cwd },
    );
    expect(result).toEqual({
      added: ["z.txt", "a/b.txt"],
      modified: ["m2.txt", "moved/m1.txt"],
      deleted: ["gone.txt"],
    });
    expect(formatApplyPatchSummary(result)).toBe(
      "Success. Updated the following files:\nA z.txt\nA a/b.txt\nM m2.txt\nM moved/m1.txt\nD gone.txt\n",
    );
    expect((await readdir(cwd)).sort()).toEqual(["a", "m2.txt", "moved", "z.txt"]);
  });

  it("keeps a file moved onto itself", async () => {
    await writeFile(path.join(cwd, "same.txt"), "x\n");
    const result = await applyPatch(wrap("*** Update File: same.txt\n*** Move to: ./same.txt\n@@\n-x\n+y"), {
      cwd,
    });
    expect(result.modified).toEqual(["same.txt"]);
    expect(await readFile(path.join(cwd, "same.txt"), "utf8")).toBe("y\n");
  });

  it("passes each path to resolvePath, and refuses them all before writing anything", async () => {
    const seen: string[] = [];
    const resolvePath = (relativePath: string) => {
      seen.push(relativePath);
      if (relativePath.startsWith("secret")) throw new Error("outside the workspace");
      return path.join(cwd, relativePath);
    };
    const error = await failure(wrap("*** Add File: ok.txt\n+x\n*** Delete File: secret/key"), {
      cwd,
      resolvePath,
    });
    expect(error.message).toBe("secret/key: outside the workspace");
    expect(seen).toEqual(["ok.txt", "secret/key"]);
    expect(await readdir(cwd)).toEqual([]);
  });

  it("refuses to update a file that is not UTF-8, and keeps a byte-order mark", async () => {
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0a]);
    await writeFile(path.join(cwd, "bin.dat"), binary);
    expect((await failure(wrap("*** Update File: bin.dat\n@@\n-A\n+B"))).message).toBe(
      "Failed to read file to update bin.dat: it is not UTF-8 text",
    );
    expect(await readFile(path.join(cwd, "bin.dat"))).toEqual(binary);

    await writeFile(path.join(cwd, "bom.txt"), "\uFEFFa\nb\n");
    await applyPatch(wrap("*** Update File: bom.txt\n@@\n-b\n+B"), { cwd });
    expect(await readFile(path.join(cwd, "bom.txt"), "utf8")).toBe("\uFEFFa\nB\n");
  });

  it("explains filesystem failures with the patch path", async () => {
    await mkdir(path.join(cwd, "dir"));
    expect((await failure(wrap("*** Update File: dir\n@@\n-a\n+b"))).message).toBe(
      "Failed to read file to update dir: is a directory",
    );
    expect((await failure(wrap("*** Add File: dir\n+x"))).message).toBe(
      "Failed to write file dir: is a directory",
    );
    await writeFile(path.join(cwd, "file"), "x\n");
    expect((await failure(wrap("*** Add File: file/child.txt\n+x"))).message).toMatch(
      /^Failed to write file file\/child.txt: a file is in the way of a folder on its path/,
    );
  });

  it("refuses an empty patch and empty text without touching the tree", async () => {
    expect((await failure("*** Begin Patch\n*** End Patch")).message).toContain("No files were modified");
    expect((await failure("")).message).toContain("the patch is empty");
  });
});
