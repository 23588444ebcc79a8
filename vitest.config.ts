import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests spawn git, bwrap and whole server processes; two cores cannot take more at once.
    maxWorkers: 2,
  },
});
