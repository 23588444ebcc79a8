import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parseTranscript } from "../../src/agent/transcript.ts";
import { tinyRepo, transcriptPath } from "../agent/helpers/fixtures.ts";

const cli = path.resolve(import.meta.dirname, "../../src/cli.ts");

async function loopwright(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOOPWRIGHT_SANDBOX: "none" as const,
    LOOPWRIGHT_ENV_FILE: "off",
  };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args], {
      env,
      timeout: 240_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

describe("loopwright run / replay", () => {
  it("runs a replayed task, one line per step, then the final message, and records a transcript", async () => {
    const cwd = await tinyRepo();
    const out = path.join(cwd, "..", `${path.basename(cwd)}.jsonl`);
    const result = await loopwright([
      "run",
      "--replay",
      transcriptPath("fix-sum"),
      "--cwd",
      cwd,
      "--transcript-out",
      out,
      "Fix the test",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^step 1 · model .* → update_plan/);
    expect(lines).toContain("Fixed `sum` in sum.js to add its arguments; `node test.js` passes.");
    // A command shows as it starts, its outcome when it ends, a failing one with its output's tail.
    expect(result.stdout).toContain("step 4 · shell $ node test.js\n       ↳ exit 1 (");
    expect(result.stdout).toMatch(/ ↳ exit 1 \(.*\)\n(.*\n)*\s+│ FAIL: sum\(2, 3\) returned 6, expected 5\n/);
    expect(result.stdout).toMatch(/step 6 · shell \$ node test.js\n\s+↳ exit 0/);
    // It ends with what changed.
    expect(result.stdout).toMatch(
      /passes\.\n\nchanged files:\n sum\.js \| 2 \+-\n 1 file changed, 1 insertion\(\+\), 1 deletion\(-\)\n$/,
    );
    const recorded = parseTranscript(await readFile(out, "utf8"));
    expect(recorded).toEqual(parseTranscript(await readFile(transcriptPath("fix-sum"), "utf8")));
  });

  it("prints JSON Lines with --json and exits 3 when the step budget runs out", async () => {
    const cwd = await tinyRepo();
    const result = await loopwright([
      "run",
      "--replay",
      transcriptPath("endless"),
      "--cwd",
      cwd,
      "--max-steps",
      "2",
      "--json",
      "Loop",
    ]);
    expect(result.code).toBe(3);
    const events = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(events.at(-1)).toMatchObject({ type: "final", outcome: "budget_exhausted", budget: "steps" });
    expect(result.stderr).toMatch(/step budget \(2 model turns\)/);
  });

  it("replays a transcript with `loopwright replay`, failing clearly past its end", async () => {
    const cwd = await tinyRepo();
    const ok = await loopwright(["replay", transcriptPath("fix-sum"), "--cwd", cwd]);
    expect(ok.code).toBe(0);
    const again = await loopwright(["replay", transcriptPath("endless"), "--cwd", cwd]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/replay_exhausted.*has 10 recorded turns and the run asked for turn 11/);
  });

  it("rejects bad usage and bad files with a clear message", async () => {
    const cwd = await tinyRepo();
    expect(await loopwright(["run", "--cwd", cwd, "  "])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/task text is empty/),
    });
    expect(await loopwright(["run", "--api", "soap", "x"])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--api expects/),
    });
    expect(await loopwright(["run", "--max-steps", "0", "x"])).toMatchObject({ code: 2 });
    const missing = await loopwright(["replay", "/nonexistent.jsonl", "--cwd", cwd]);
    expect(missing).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/cannot read transcript \/nonexistent.jsonl/),
    });
  });
});
