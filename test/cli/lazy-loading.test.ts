import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cleanEnv, cliEntry } from "../helpers/cli-process.ts";

const recorder = path.join(import.meta.dirname, "fixtures", "record-imports.ts");

/** The packages from node_modules that `loopwright ARGS` loads before it exits. */
function loadedPackages(args: string[]): Promise<{ code: number | null; packages: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", recorder, cliEntry, ...args], {
      env: cleanEnv(),
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const listed = stderr.split("\nloaded packages:\n")[1] ?? "";
      resolve({ code, packages: listed.split("\n").filter(Boolean) });
    });
  });
}

// What a person waits for must not wait for the database drivers, the model client, Probot or the
// schema library: these paths answer from the command table and node's own modules. (How long they
// take is measured in bench/cli.bench.ts, not here.)
describe("loopwright answers help, version and argument errors without loading its dependencies", () => {
  const cases: [string[], number][] = [
    [["--help"], 0],
    [["--version"], 0],
    [["frobnicate"], 2],
    ...[
      "serve",
      "web",
      "worker",
      "run",
      "replay",
      "submit",
      "tasks",
      "task",
      "doctor",
      "config",
      "sandbox",
    ].map((name): [string[], number] => [[name, "--help"], 0]),
    [["run", "--bogus"], 2],
    [["submit", "--repo", "/nonexistent", "x"], 2],
    [["tasks", "--status", "sleeping"], 2],
  ];
  it("sees the packages a command loads once it runs (the recorder works)", async () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), "lw-lazy-"));
    const file = path.join(folder, "loopwright.yml");
    writeFileSync(file, "budget:\n  max_steps: 20\n");
    const { packages } = await loadedPackages(["config", "check", file]);
    rmSync(folder, { recursive: true, force: true });
    expect(packages).toEqual(expect.arrayContaining(["yaml", "zod"]));
  }, 60_000);

  it.each(cases)(
    "loopwright %j",
    async (args, exitCode) => {
      const { code, packages } = await loadedPackages(args);
      expect(code).toBe(exitCode);
      expect(packages).toEqual([]);
    },
    60_000,
  );
});
