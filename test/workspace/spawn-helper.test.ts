import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProcessTree } from "../../src/workspace/sandbox-process.ts";
import {
  type LeanChild,
  spawnLean,
  startSpawnHelper,
  stopSpawnHelper,
} from "../../src/workspace/spawn-helper.ts";

type Ended = { code: number | null; stdout: string; stderr: string };

function collect(child: LeanChild): Promise<Ended> {
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    let exited: number | null | undefined;
    child.once("error", reject);
    child.once("exit", (code: number | null) => (exited = code));
    // As a ChildProcess does, `close` repeats the exit code (runGit reads it there).
    child.once("close", (code: number | null) =>
      code === exited
        ? resolve({ code, stdout, stderr })
        : reject(new Error(`close ${code}, exit ${exited}`)),
    );
  });
}

const script = 'echo out; echo err >&2; cat <&3; echo " pgid=$(ps -o pgid= -p $$ | tr -d " ")"; exit 3';

describe.each(["through the helper", "directly"])("spawnLean %s", (how) => {
  beforeAll(() => {
    if (how === "through the helper") startSpawnHelper();
  });
  afterAll(async () => {
    await stopSpawnHelper();
  });

  it("runs a child in its own process group with its output, inputs and exit code", async () => {
    const child = spawnLean("sh", ["-c", script], {
      cwd: "/",
      env: { PATH: process.env.PATH ?? "" },
      inputs: ["in3"],
    });
    const ended = await collect(child);
    expect(ended.code).toBe(3);
    expect(ended.stderr).toBe("err\n");
    expect(ended.stdout).toBe(`out\nin3 pgid=${child.pid}\n`);
  });

  it("reports a program that cannot be started as an error", async () => {
    const child = spawnLean("/nonexistent/program", [], { cwd: "/", env: {} });
    await expect(collect(child)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("lets the caller end the whole process group (timeouts)", async () => {
    const result = await runProcessTree({
      argv: ["sh", "-c", "sleep 30 & sleep 30"],
      env: { PATH: process.env.PATH ?? "" },
      cwd: "/",
      timeoutMs: 300,
      maxOutputBytes: 1 << 16,
    });
    expect(result.exitCode).toBe(124);
    expect(result.timedOut).toBe(true);
  });
});
