import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TaskLimitError } from "../../src/agent/command-runner.ts";
import { CODING_TOOLS } from "../../src/agent/loop.ts";
import { createToolRouter } from "../../src/agent/tools/router.ts";
import { createSandbox, detectSandboxMode } from "../../src/workspace/sandbox.ts";
import { diskBudgetProblem, measureDisk } from "../../src/workspace/sandbox-disk.ts";

const bwrapWorks = await detectSandboxMode("bwrap").then(
  () => true,
  (error: Error) => {
    console.warn(`skipping the disk budget tests under bubblewrap: ${error.message}`);
    return false;
  },
);
const scratch = mkdtempSync(path.join(os.tmpdir(), "loopwright-disk-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const MiB = 1024 ** 2;

function workspace(name: string): string {
  const dir = path.join(scratch, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  writeFileSync(path.join(dir, "README.md"), "hello\n");
  return dir;
}

describe("diskBudgetProblem", () => {
  it("says which budget was crossed, in a maintainer's words", () => {
    const budget = { maxBytes: 100 * MiB, maxEntries: 1000 };
    expect(diskBudgetProblem({ bytes: 10 * MiB, entries: 10 }, budget)).toBeUndefined();
    expect(diskBudgetProblem({ bytes: 200 * MiB, entries: 10 }, budget)).toMatch(
      /over its disk budget of 105 MB/,
    );
    expect(diskBudgetProblem({ bytes: 1, entries: 5000 }, budget)).toMatch(
      /5000 files and folders, over its limit of 1000/,
    );
  });

  it("measures bytes and entries without following links", async () => {
    const dir = workspace("measure");
    writeFileSync(path.join(dir, "data.bin"), Buffer.alloc(2 * MiB, 1));
    symlinkSync("/usr", path.join(dir, "usr-link"));
    const usage = await measureDisk(dir);
    expect(usage.bytes).toBeGreaterThanOrEqual(2 * MiB);
    expect(usage.bytes).toBeLessThan(3 * MiB);
    expect(usage.entries).toBe(4);
  });
});

describe.skipIf(!bwrapWorks)("the workspace's disk budget while commands run", () => {
  it("refuses a file larger than the file-size limit", async () => {
    const dir = workspace("big-file");
    await using sandbox = await createSandbox({
      mode: "bwrap",
      workspace: dir,
      limits: { fileBytes: 8 * MiB },
    });
    const result = await sandbox.run({
      argv: ["bash", "-c", "head -c 20000000 /dev/zero > big.bin; echo exit=$?; stat -c %s big.bin"],
      cwd: dir,
      timeoutMs: 20_000,
    });
    expect(result.output).toMatch(/File size limit exceeded|exit=153/);
    expect(result.output).toContain(String(8 * MiB));
  });

  it("stops a command that grows the workspace past its budget, and every later one, naming why", async () => {
    const dir = workspace("disk-bomb");
    await using sandbox = await createSandbox({
      mode: "bwrap",
      workspace: dir,
      limits: { diskBytes: 32 * MiB, fileBytes: 16 * MiB },
    });
    const started = Date.now();
    const bomb = sandbox.run({
      argv: ["bash", "-c", "for i in $(seq 1 200); do head -c 4000000 /dev/zero > f$i.bin; done; sleep 30"],
      cwd: dir,
      timeoutMs: 60_000,
    });
    await expect(bomb).rejects.toThrow(TaskLimitError);
    await expect(bomb).rejects.toThrow(/over its disk budget of 34 MB/);
    expect(Date.now() - started).toBeLessThan(30_000);
    await expect(sandbox.run({ argv: ["true"], cwd: dir, timeoutMs: 5_000 })).rejects.toThrow(TaskLimitError);
  });

  it("stops a million-file bomb at the file-count limit, and the agent's task ends with the reason", async () => {
    const dir = workspace("file-bomb");
    await using sandbox = await createSandbox({
      mode: "bwrap",
      workspace: dir,
      limits: { maxEntries: 2_000 },
    });
    const router = createToolRouter(CODING_TOOLS);
    const context = { root: dir, cwd: dir, runner: sandbox, signal: new AbortController().signal };
    const result = await router.call(
      "shell",
      JSON.stringify({ command: "mkdir many && cd many && for i in $(seq 1 1000000); do : > $i; done" }),
      context,
    );
    expect(result.isError).toBe(true);
    expect(result.limit).toMatch(/files and folders, over its limit of 2000/);
  }, 240_000);
});
