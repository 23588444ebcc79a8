import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CODING_TOOLS } from "../src/agent/loop.ts";
import { createToolRouter } from "../src/agent/tools/router.ts";
import { createSandbox } from "../src/workspace/sandbox.ts";
import type { BenchSection } from "./run.ts";
import { quantile, timings } from "./timing.ts";

const RUNS = 200;
/** Unmeasured calls first: the first one starts the file server. */
const WARMUPS = 5;

const median = (sorted: number[]) => quantile(sorted, 0.5);
const p95 = (sorted: number[]) => quantile(sorted, 0.95);
const signed = (value: number) => `${value >= 0 ? "+" : ""}${value.toFixed(3)}`;

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
    const measure = (task: () => Promise<unknown>) => timings(task, RUNS, WARMUPS);
    const rows: [string, number[], number[]][] = [];
    try {
      const readArgs = JSON.stringify({ path: "src/module.ts", limit: 200 });
      rows.push([
        "read_file (200 lines)",
        await measure(() => readFile(file, "utf8").then((content) => content.split("\n").slice(0, 200))),
        await measure(() => router.call("read_file", readArgs, context)),
      ]);
      let hostFlip = false;
      rows.push([
        "apply_patch (one line)",
        await measure(async () => {
          hostFlip = !hostFlip;
          const content = await readFile(file, "utf8");
          await writeFile(file, content.replace(/value0 = \d/, `value0 = ${hostFlip ? 1 : 0}`));
        }),
        await measure(() => router.call("apply_patch", patch(), context)),
      ]);
      rows.push([
        "list_files (depth 2)",
        await measure(() => readdir(workspace, { recursive: true })),
        await measure(() => router.call("list_files", "{}", context)),
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
