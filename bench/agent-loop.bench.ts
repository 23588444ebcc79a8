import { mkdtemp, realpath, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { runAgent } from "../src/agent/loop.ts";
import type { ModelClient, ModelRequest, ModelTurn } from "../src/agent/model.ts";
import { createReplayModel } from "../src/agent/models/replay.ts";
import { defineTool } from "../src/agent/tools/tool.ts";
import { createSandbox } from "../src/workspace/sandbox.ts";
import type { BenchSection } from "./run.ts";
import { quantile } from "./timing.ts";

const noop = defineTool({
  name: "noop",
  description: "Does nothing.",
  schema: z.object({}),
  run: async () => ({ output: "ok" }),
});

const callTurn = (index: number, name: string, args: unknown): ModelTurn => ({
  output: [{ type: "function_call", name, arguments: JSON.stringify(args), call_id: `call_${index}` }],
  usage: {
    inputTokens: 2000 + index * 300,
    cachedInputTokens: 2000 + index * 250,
    outputTokens: 40,
    reasoningTokens: 0,
    totalTokens: 2040 + index * 300,
  },
});
const finalTurn: ModelTurn = {
  output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text: "Done." }] }],
};

/** Wraps a model to note when each request starts and what it carried. */
function observed(model: ModelClient, starts: number[], requests: ModelRequest[]): ModelClient {
  return {
    model: model.model,
    contextWindow: model.contextWindow,
    complete(request) {
      starts.push(performance.now());
      requests.push(request);
      return model.complete(request);
    },
  };
}

function commonPrefixBytes(a: Buffer, b: Buffer): number {
  const length = Math.min(a.length, b.length);
  let index = 0;
  while (index < length && a[index] === b[index]) index += 1;
  return index;
}

async function workspace(): Promise<string> {
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), "loopwright-bench-")));
  await writeFile(path.join(dir, "README.md"), "# bench\n\nA small project.\n");
  await writeFile(
    path.join(dir, "index.js"),
    Array.from({ length: 120 }, (_, line) => `export const value${line} = ${line};`).join("\n"),
  );
  return dir;
}

/** Loop overhead: the time between consecutive model requests when the model and the tool cost nothing. */
async function overhead(cwd: string): Promise<{ median: number; p95: number; steps: number }> {
  const steps = 300;
  const turns = [...Array.from({ length: steps }, (_, index) => callTurn(index, "noop", {})), finalTurn];
  const starts: number[] = [];
  const model = observed(createReplayModel(turns), starts, []);
  const runner = await createSandbox({ mode: "none", workspace: cwd });
  await runAgent({
    model,
    runner,
    cwd,
    task: "Call noop until done.",
    extraTools: [noop],
    budget: { maxSteps: steps + 1 },
  });
  const gaps = starts
    .slice(1)
    .map((start, index) => start - (starts[index] ?? start))
    .sort((a, b) => a - b);
  return { median: quantile(gaps, 0.5), p95: quantile(gaps, 0.95), steps };
}

/** A 40-step run with the real read-only tools: how big each request is, and how much of it the next one repeats exactly. */
async function prefixReuse(cwd: string) {
  const tools: [string, unknown][] = [
    ["read_file", { path: "index.js", limit: 40 }],
    ["list_files", {}],
    ["update_plan", { plan: [{ step: "read", status: "in_progress" }] }],
    ["read_file", { path: "README.md" }],
  ];
  const turns = [
    ...Array.from({ length: 39 }, (_, index) => {
      const [name, args] = tools[index % tools.length] as [string, unknown];
      return callTurn(index, name, args);
    }),
    finalTurn,
  ];
  const requests: ModelRequest[] = [];
  const model = observed(createReplayModel(turns), [], requests);
  const runner = await createSandbox({ mode: "none", workspace: cwd });
  await runAgent({ model, runner, cwd, task: "Look around the project." });
  // The bytes a stateless request carries: instructions, tools and the whole input.
  const bodies = requests.map((request) =>
    Buffer.from(
      JSON.stringify({ instructions: request.instructions, tools: request.tools, input: request.input }),
    ),
  );
  const shares = bodies
    .slice(0, -1)
    .map((body, index) => commonPrefixBytes(body, bodies[index + 1] as Buffer) / body.length);
  return {
    requests: bodies.length,
    firstBytes: bodies[0]?.length ?? 0,
    lastBytes: bodies.at(-1)?.length ?? 0,
    meanBytes: Math.round(bodies.reduce((sum, body) => sum + body.length, 0) / bodies.length),
    minShare: Math.min(...shares),
    meanShare: shares.reduce((sum, share) => sum + share, 0) / shares.length,
  };
}

export default async function (): Promise<BenchSection> {
  const cwd = await workspace();
  await overhead(cwd); // warm-up: module loading and JIT
  const loop = await overhead(cwd);
  const reuse = await prefixReuse(cwd);
  const pass = (ok: boolean) => (ok ? "met" : "**missed**");
  return {
    title: "Agent loop",
    markdown: `Replay model, so only the loop's own work is measured (building requests, routing and truncating tool output, events).

| measure | value | target |
| --- | --- | --- |
| loop overhead per step, median (${loop.steps} steps, trivial tool) | ${loop.median.toFixed(3)} ms | < 5 ms, ${pass(loop.median < 5)} |
| loop overhead per step, p95 | ${loop.p95.toFixed(3)} ms | |
| 40-step run: requests | ${reuse.requests} | |
| bytes sent per request: first / mean / last | ${reuse.firstBytes} / ${reuse.meanBytes} / ${reuse.lastBytes} | |
| share of each request that is an exact prefix of the next: min / mean | ${reuse.minShare.toFixed(4)} / ${reuse.meanShare.toFixed(4)} | ≥ 0.95, ${pass(reuse.minShare >= 0.95)} |

The share is measured on the serialized request (instructions, tools, input); the only bytes not repeated are the closing of the input array.`,
  };
}
