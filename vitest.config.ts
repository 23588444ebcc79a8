import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Deadlines only guard against hangs: tests wait on readiness, and on a loaded two-core machine
    // a git clone, a bwrap start or an embedded database's first open can take many times longer.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Tests spawn git, bwrap and whole server processes; the process-level ones mostly wait on them,
    // so three files at a time keep two cores busy without starving readiness waits.
    maxWorkers: 3,
  },
});
