import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createSandbox } from "../src/workspace/sandbox.ts";
import type { BenchSection } from "./run.ts";
import { quantile, timings } from "./timing.ts";

const RUNS = 60;

function plainSpawn(cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("true", [], { cwd, stdio: "ignore" });
    child.once("error", reject);
    child.once("close", () => resolve());
  });
}

/** Per-command overhead of the sandbox: `true` under bwrap (and mode none) against a plain spawn. */
export default async function (): Promise<BenchSection> {
  const workspace = await mkdtemp(path.join(os.tmpdir(), "loopwright-bench-sandbox-"));
  try {
    const plain = await timings(() => plainSpawn(workspace), RUNS);
    const rows: [string, number[]][] = [["plain spawn", plain]];
    for (const mode of ["bwrap", "none"] as const) {
      const sandbox = await createSandbox({ mode, workspace });
      rows.push([
        `sandbox (${mode})`,
        await timings(() => sandbox.run({ argv: ["true"], cwd: workspace, timeoutMs: 10_000 }), RUNS),
      ]);
    }
    const baseline = quantile(plain, 0.5);
    const table = rows.map(([name, samples]) => {
      const median = quantile(samples, 0.5);
      return `| ${name} | ${median.toFixed(2)} | ${quantile(samples, 0.95).toFixed(2)} | ${(median / baseline).toFixed(1)}× |`;
    });
    return {
      title: "Sandbox overhead per command",
      markdown: [
        `\`true\`, ${RUNS} runs each after a warm-up, sequential; times in ms.`,
        "",
        "| how | median | p95 | median vs plain spawn |",
        "| --- | ---: | ---: | ---: |",
        ...table,
        "",
      ].join("\n"),
    };
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
}
