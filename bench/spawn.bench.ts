import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { openDatabase } from "../src/store/database.ts";
import { migrate } from "../src/store/migrate.ts";
import { createSandbox } from "../src/workspace/sandbox.ts";
import { spawnLean, startSpawnHelper, stopSpawnHelper } from "../src/workspace/spawn-helper.ts";
import { Workspaces } from "../src/workspace/workspace.ts";
import { bareRemoteFrom } from "../test/helpers/github-world.ts";
import type { BenchSection } from "./run.ts";
import { quantile, timings } from "./timing.ts";

const SPAWN_RUNS = 60;
const WORKSPACE_RUNS = 15;
const SANDBOX_RUNS = 40;
/** What `loopwright serve` holds besides its embedded database (web server, Probot, caches): measured RSS ~ this much more. */
const SERVE_EXTRA_BYTES = 256 * 2 ** 20;

function spawnTrue(how: "direct" | "lean"): Promise<void> {
  return new Promise((resolve, reject) => {
    const child =
      how === "direct"
        ? spawn("true", [], { stdio: ["ignore", "pipe", "pipe"], detached: true })
        : spawnLean("true", [], { cwd: "/", env: {} });
    child.once("error", reject);
    child.once("close", () => resolve());
  });
}

type Figures = { spawn: number; workspace: number; sandbox: number };

/** Median spawn of `true`, warm workspace setup, and a sandboxed `true`, as this process is now. */
async function measure(
  remote: string,
  root: string,
  label: string,
  how: "direct" | "lean",
): Promise<Figures> {
  const spawnMs = quantile(await timings(() => spawnTrue(how), SPAWN_RUNS, 5), 0.5);
  const workspaces = await Workspaces.open({
    dataDir: path.join(root, `data-${label}`),
    cacheMaxBytes: 2 ** 32,
  });
  const request = { url: `file://${remote}`, target: { kind: "default" } as const };
  await (await workspaces.create({ ...request, branch: `${label}-cold` })).dispose();
  const setups: number[] = [];
  for (let index = 0; index < WORKSPACE_RUNS; index += 1) {
    await workspaces.idle();
    const started = performance.now();
    const workspace = await workspaces.create({ ...request, branch: `${label}-${index}` });
    setups.push(performance.now() - started);
    await workspace.dispose();
  }
  await workspaces.close();
  const sandbox = await createSandbox({ mode: "bwrap", workspace: root });
  const sandboxMs = quantile(
    await timings(() => sandbox.run({ argv: ["true"], cwd: root, timeoutMs: 10_000 }), SANDBOX_RUNS, 3),
    0.5,
  );
  await sandbox.close();
  return {
    spawn: spawnMs,
    workspace: quantile(
      setups.sort((a, b) => a - b),
      0.5,
    ),
    sandbox: sandboxMs,
  };
}

/**
 * Spawn cost inside a `serve`-sized process, with and without the spawn helper: a process holding
 * an embedded database (PGlite, migrated) and SERVE_EXTRA_BYTES more, like `loopwright serve`. For
 * each: the median spawn of `true`, the median warm workspace setup (mirror cache and spare tree on
 * the small `sum` fixture repository), and the median sandboxed `true` (bwrap); against the same
 * figures from a small process (the standalone benchmark's situation).
 *
 * @example
 * // node bench/run.ts spawn
 */
export default async function spawnBench(): Promise<BenchSection> {
  const root = await mkdtemp(path.join(os.tmpdir(), "lw-bench-spawn-"));
  try {
    const remote = bareRemoteFrom("sum", root);
    const rss = () => `${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`;
    const small = await measure(remote, root, "small", "direct");
    const smallRss = rss();
    // The helper starts while the process is small, as `serve` and `worker` start it first thing.
    startSpawnHelper();
    const db = await openDatabase({ dataDir: path.join(root, "db") });
    await migrate(db);
    const ballast = Buffer.alloc(SERVE_EXTRA_BYTES, 1);
    const largeRss = rss();
    const withHelper = await measure(remote, root, "helper", "lean");
    await stopSpawnHelper();
    const direct = await measure(remote, root, "direct", "direct");
    await db.close();
    const rows = [
      ["small process (standalone)", small],
      ["serve-sized, direct spawn (before)", direct],
      ["serve-sized, through the spawn helper (after)", withHelper],
    ] as const;
    const ratio = (value: number, base: number) => `${(value / base).toFixed(2)}×`;
    return {
      title: "Spawning children from a serve-sized process",
      markdown: [
        `A process of ${smallRss} (standalone) against one of ${largeRss} holding an embedded database`,
        `(PGlite, migrated) and ${ballast.length / 2 ** 20} MB more, as \`loopwright serve\` does;`,
        "medians in ms. Warm workspace: mirror cache and spare tree ready, on the small `sum` fixture repository;",
        "sandbox: `true` under bwrap through `createSandbox`. Ratios against the small process.",
        "",
        "| process | spawn `true` | warm workspace | sandboxed `true` |",
        "|---|---:|---:|---:|",
        ...rows.map(
          ([label, figures]) =>
            `| ${label} | ${figures.spawn.toFixed(2)} (${ratio(figures.spawn, small.spawn)}) | ${figures.workspace.toFixed(1)} (${ratio(figures.workspace, small.workspace)}) | ${figures.sandbox.toFixed(2)} (${ratio(figures.sandbox, small.sandbox)}) |`,
        ),
        "",
        `Targets inside serve (through the helper): warm workspace within 1.5× of standalone: ${
          withHelper.workspace <= 1.5 * small.workspace ? "met" : "NOT met"
        }; sandbox overhead within 1.5×: ${withHelper.sandbox <= 1.5 * small.sandbox ? "met" : "NOT met"}.`,
      ].join("\n"),
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
