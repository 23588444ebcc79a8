import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkRepoConfigText } from "../../src/config/repo-config-text.ts";
import { cleanEnv, runCli } from "../helpers/cli-process.ts";

describe("loopwright config check", () => {
  it("reports the bot's own messages for bad keys and YAML, nothing for a valid file", () => {
    expect(checkRepoConfigText("budget:\n  max_steps: 20\n")).toEqual([]);
    expect(checkRepoConfigText("budget:\n  max_steps: lots\n")).toEqual([
      'budget.max_steps: expected a whole number from 1 to 1000, got "lots"',
    ]);
    expect(checkRepoConfigText("fix: [unclosed")[0]).toMatch(/^the file could not be read: /);
    expect(checkRepoConfigText("fix:\n  branch_prefix: main/\n", "main")[0]).toMatch(
      /^fix\.branch_prefix: must not be the default branch \(main\)/,
    );
  });

  it("exits 0 for a valid file, 1 with the problems for a bad one, 2 for a missing file", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lw-config-"));
    const good = path.join(dir, "good.yml");
    const bad = path.join(dir, "bad.yml");
    writeFileSync(good, "review:\n  auto: false\n");
    writeFileSync(bad, "budget:\n  max_steps: lots\n");
    const env = cleanEnv();
    const valid = await runCli(["config", "check", good], { env });
    expect(valid).toEqual({ code: 0, output: `${good}: valid\n` });
    const invalid = await runCli(["config", "check", bad], { env });
    expect(invalid.code).toBe(1);
    expect(invalid.output).toContain("has problems, so the defaults are used for these keys:");
    expect(invalid.output).toContain(
      '  budget.max_steps: expected a whole number from 1 to 1000, got "lots"',
    );
    const missing = await runCli(["config", "check", path.join(dir, "none.yml")], { env });
    expect(missing.code).toBe(2);
    expect(missing.output).toContain("cannot read");
    const wrong = await runCli(["config", "lint"], { env });
    expect(wrong.code).toBe(2);
    expect(wrong.output).toContain('unknown action "lint"');
    const version = await runCli(["--version"], { env });
    expect(version.output).toMatch(/^loopwright \d+\.\d+\.\d+\n$/);
  }, 120_000);
});
