import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { listScenarios, runScenario } from "../../../scripts/apply-patch-scenarios.ts";

const fixtures = path.resolve(import.meta.dirname, "../../fixtures/apply-patch");
const scenarios = (await listScenarios(fixtures)) ?? [];

/** The message a scenario must fail with (its error.txt), or undefined when it must succeed. */
async function expectedError(scenario: string): Promise<string | undefined> {
  const text = await readFile(path.join(scenario, "error.txt"), "utf8").catch(() => undefined);
  return text?.trimEnd();
}

describe("apply_patch scenarios (test/fixtures/apply-patch)", () => {
  it("finds the scenarios", () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(20);
  });

  it.each(scenarios.map((scenario) => [path.basename(scenario), scenario]))("%s", async (_name, scenario) => {
    const outcome = await runScenario(scenario);
    expect(outcome.problems).toEqual([]);
    const error = await expectedError(scenario);
    if (error === undefined) expect(outcome.error).toBeUndefined();
    else expect(outcome.error).toContain(error);
  });
});
