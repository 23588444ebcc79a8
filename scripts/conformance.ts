// `npm run conformance [-- DIR]`: runs the reference apply_patch scenarios (default ../shared/fixtures/apply-patch
// next to the repository) against our engine; prints each failure, then `N passed, M failed`.
import path from "node:path";
import { listScenarios, runScenario } from "./apply-patch-scenarios.ts";

const repoRoot = path.resolve(import.meta.dirname, "..");
const root = path.resolve(repoRoot, process.argv[2] ?? "../shared/fixtures/apply-patch");
const scenarios = await listScenarios(root);
if (scenarios === undefined) {
  console.log(`conformance: no scenario folder at ${root}; nothing to run`);
  process.exit(0);
}

let passed = 0;
let failed = 0;
for (const scenario of scenarios) {
  const { name, problems } = await runScenario(scenario);
  if (problems.length === 0) {
    passed++;
  } else {
    failed++;
    console.log(`FAIL ${name}: ${problems.join("; ")}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
