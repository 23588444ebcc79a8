import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanEnv, cliEntry } from "../helpers/cli-process.ts";

type Run = { code: number | null; stdout: string; stderr: string };

/** Runs `node src/cli.ts apply-patch` in `cwd` with `input` on stdin. */
function applyPatchCli(cwd: string, input: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry, "apply-patch"], { cwd, env: cleanEnv() });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), "apply-patch-cli-"));
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe("loopwright apply-patch", () => {
  it("applies a patch from stdin in the current directory and prints a git-style summary", async () => {
    await writeFile(path.join(cwd, "modify.txt"), "line1\nline2\n");
    await writeFile(path.join(cwd, "delete.txt"), "obsolete\n");
    const patch =
      "*** Begin Patch\n*** Add File: nested/new.txt\n+created\n*** Delete File: delete.txt\n*** Update File: modify.txt\n@@\n-line2\n+changed\n*** End Patch\n";
    const run = await applyPatchCli(cwd, patch);
    expect(run).toEqual({
      code: 0,
      stdout: "Success. Updated the following files:\nA nested/new.txt\nM modify.txt\nD delete.txt\n",
      stderr: "",
    });
    expect(await readFile(path.join(cwd, "modify.txt"), "utf8")).toBe("line1\nchanged\n");
    expect(await readFile(path.join(cwd, "nested/new.txt"), "utf8")).toBe("created\n");
  });

  it("prints the error to stderr and exits 1 when context is missing", async () => {
    await writeFile(path.join(cwd, "modify.txt"), "line1\n");
    const run = await applyPatchCli(
      cwd,
      "*** Begin Patch\n*** Update File: modify.txt\n@@\n-missing\n+x\n*** End Patch\n",
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("Failed to find expected lines in modify.txt:\nmissing");
  });

  it("exits 1 with a clear message on empty stdin", async () => {
    const run = await applyPatchCli(cwd, "");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("no patch on stdin");
  });

  it("refuses paths outside the current directory", async () => {
    const run = await applyPatchCli(cwd, "*** Begin Patch\n*** Add File: ../escape.txt\n+x\n*** End Patch\n");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("../escape.txt: path escapes the working directory");
  });
});
