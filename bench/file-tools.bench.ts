import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CODING_TOOLS } from "../src/agent/loop.ts";
import { createToolRouter } from "../src/agent/tools/router.ts";
import { createSandbox } from "../src/workspace/sandbox.ts";
import type { BenchSection } from "./run.ts";

const RUNS = 200;

async function timings(task: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 5; i++) await task(); // warm-up (starts the file server)
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await task();
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b);
}

const median = (sorted: number[]) => sorted[Math.floor(sorted.length / 2)] ?? 0;
const signed = (value: number) => `${value >= 0 ? "+" : ""}${value.toFixed(3)}`;
const p95 = (sorted: number[]) => sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))] ?? 0;

/**
 * What moving the file tools into the sandbox costs per call: `read_file` and an `apply_patch` of
 * one line through the router with the bwrap sandbox (file server inside it) against the same work
 * done directly by this process (the baseline: what the tools did before, on the host).
 */
export default async function (): Promise<BenchSection> {
  const workspace = await mkdtemp(path.join(os.tmpdir(), "loopwright-bench-files-"));
  try {
    await mkdir(path.join(workspace, "src"));
    const file = path.join(workspace, "src", "module.ts");
    const text = Array.from({ length: 400 }, (_, i) => `export const value${i} = ${i};`).join("\n");
    await writeFile(file, `${text}\n`);
    const sandbox = await createSandbox({ mode: "bwrap", workspace, workspaceOwnership: "restore" });
    const router = createToolRouter(CODING_TOOLS);
    const context = {
      root: workspace,
      cwd: workspace,
      runner: sandbox,
      signal: new AbortController().signal,
    };
    let flip = false;
    const patch = () => {
      flip = !flip;
      const [from, to] = flip ? ["0", "1"] : ["1", "0"];
      return JSON.stringify({
        input: `*** Begin Patch\n*** Update File: src/module.ts\n@@\n-export const value0 = ${from};\n+export const value0 = ${to};\n*** End Patch`,
      });
    };
    const rows: [string, number[], number[]][] = [];
    try {
      const readArgs = JSON.stringify({ path: "src/module.ts", limit: 200 });
      rows.push([
        "read_file (200 lines)",
        await timings(() => readFile(file, "utf8").then((content) => content.split("\n").slice(0, 200))),
        await timings(() => router.call("read_file", readArgs, context)),
      ]);
      let hostFlip = false;
      rows.push([
        "apply_patch (one line)",
        await timings(async () => {
          hostFlip = !hostFlip;
          const content = await readFile(file, "utf8");
          await writeFile(file, content.replace(/value0 = \d/, `value0 = ${hostFlip ? 1 : 0}`));
        }),
        await timings(() => router.call("apply_patch", patch(), context)),
      ]);
      rows.push([
        "list_files (depth 2)",
        await timings(() =>
          import("node:fs/promises").then((fs) => fs.readdir(workspace, { recursive: true })),
        ),
        await timings(() => router.call("list_files", "{}", context)),
      ]);
    } finally {
      await sandbox.close();
    }
    const table = rows.map(
      ([name, host, sandboxed]) =>
        `| ${name} | ${median(host).toFixed(3)} | ${median(sandboxed).toFixed(3)} | ${p95(sandboxed).toFixed(3)} | ${signed(median(sandboxed) - median(host))} |`,
    );
    return {
      title: "File tools inside the sandbox: cost per call",
      markdown: [
        `${RUNS} calls each after a warm-up, sequential; times in ms. "Host" does the same file work directly in this process (what the tools did before they moved into the sandbox); "sandboxed" is the tool call through the router, answered by the file server inside bwrap. The server starts once per task (about 0.2–0.3 s, off the per-call path).`,
        "",
        "| tool | host median | sandboxed median | sandboxed p95 | added per call |",
        "| --- | ---: | ---: | ---: | ---: |",
        ...table,
        "",
      ].join("\n"),
    };
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
}
