import { execFile, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { cleanEnv, repoRoot, startCli, waitForHttp } from "../test/helpers/cli-process.ts";
import { freePort } from "../test/helpers/free-port.ts";
import type { BenchSection } from "./run.ts";
import { quantile } from "./timing.ts";

const RUNS = 20;
/** `serve` starts on an existing data folder. */
const STARTS = 7;

/** Wall time of one `node ENTRY ARGS` process, from spawn to exit, in ms. */
function wallTime(entry: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [entry, ...args], { cwd: repoRoot, env, stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", () => resolve(performance.now() - started));
  });
}

async function samples(entry: string, args: string[], env: NodeJS.ProcessEnv): Promise<number[]> {
  await wallTime(entry, args, env);
  const times: number[] = [];
  for (let run = 0; run < RUNS; run += 1) times.push(await wallTime(entry, args, env));
  return times.sort((a, b) => a - b);
}

/**
 * The installed command runs the compiled `dist/cli.js`: compiled here into a folder of its own
 * (beside links to package.json and node_modules, which it reads), so the repository's dist/ is
 * left alone. Other sessions' type errors do not stop tsc from writing the files.
 */
async function buildCli(): Promise<{ entry: string; remove(): void }> {
  const root = mkdtempSync(path.join(os.tmpdir(), "lw-cli-bench-"));
  const tsc = path.join(repoRoot, "node_modules", ".bin", "tsc");
  await promisify(execFile)(tsc, [
    "-p",
    path.join(repoRoot, "tsconfig.build.json"),
    "--outDir",
    path.join(root, "dist"),
    "--tsBuildInfoFile",
    path.join(root, "tsbuildinfo"),
  ]).catch(() => undefined);
  const entry = path.join(root, "dist", "cli.js");
  if (!existsSync(entry)) throw new Error(`tsc wrote no ${entry}`);
  symlinkSync(path.join(repoRoot, "package.json"), path.join(root, "package.json"));
  symlinkSync(path.join(repoRoot, "node_modules"), path.join(root, "node_modules"));
  return { entry, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** The environment of a `serve` with App credentials (GitHub unreachable: nothing here calls it). */
function serveEnv(port: number, dataDir: string): NodeJS.ProcessEnv {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return cleanEnv({
    APP_ID: "1",
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: "bench",
    // Nothing answers there: the bench never reaches GitHub.
    GHE_HOST: "127.0.0.1:9",
    GHE_PROTOCOL: "http",
    HOST: "127.0.0.1",
    PORT: String(port),
    LOOPWRIGHT_URL: `http://127.0.0.1:${port}`,
    LOOPWRIGHT_DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
  });
}

/** `loopwright tasks` while a `serve` holds the embedded database: the CLI reads through its API. */
async function tasksThroughServe(entry: string): Promise<number[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "lw-cli-bench-data-"));
  const env = serveEnv(await freePort(), dataDir);
  const serve = startCli(["serve"], { env });
  try {
    await waitForHttp(`http://127.0.0.1:${env.PORT}/ready`, serve, { status: 200 });
    return await samples(entry, ["tasks"], env);
  } finally {
    serve.child.kill("SIGTERM");
    await serve.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

type Startup = { ping: number; ready: number };

/**
 * `serve` from process start to `/ping` (listening) and to `/ready` (database, migrations, queue,
 * worker and intake up): on a new data folder once, then on that folder STARTS times.
 */
async function serveStartup(entry: string): Promise<{ first: Startup; again: Startup[] }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "lw-cli-bench-start-"));
  const env = serveEnv(await freePort(), dataDir);
  const start = async (): Promise<Startup> => {
    const started = performance.now();
    const serve = startCli(["serve"], { env, entry });
    try {
      await waitForHttp(`http://127.0.0.1:${env.PORT}/ping`, serve, { status: 200 });
      const ping = performance.now() - started;
      await waitForHttp(`http://127.0.0.1:${env.PORT}/ready`, serve, { status: 200 });
      return { ping, ready: performance.now() - started };
    } finally {
      serve.child.kill("SIGTERM");
      await serve.exited;
    }
  };
  try {
    const first = await start();
    const again: Startup[] = [];
    for (let run = 0; run < STARTS; run += 1) again.push(await start());
    return { first, again };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * How long the `loopwright` command takes to answer, as a person calling it waits: `--help`,
 * `--version`, a subcommand's help and an argument error (target < 200 ms: they load nothing
 * heavy), for the compiled command and for the TypeScript source run by Node's type stripping;
 * and `tasks` read through a running `serve` (target < 500 ms).
 */
export default async function cliBench(): Promise<BenchSection> {
  const env = cleanEnv();
  const build = await buildCli();
  const lines = ["| command | entry | median | p95 | target |", "| --- | --- | ---: | ---: | ---: |"];
  const startupLines: string[] = [];
  const cases: { args: string[]; target: string }[] = [
    { args: ["--help"], target: "< 200 ms" },
    { args: ["--version"], target: "< 200 ms" },
    { args: ["submit", "--help"], target: "< 200 ms" },
    { args: ["run", "--bogus"], target: "< 200 ms" },
  ];
  const row = (args: string[], entry: string, times: number[], target: string) =>
    lines.push(
      `| \`loopwright ${args.join(" ")}\` | ${entry} | ${quantile(times, 0.5).toFixed(0)} ms | ${quantile(times, 0.95).toFixed(0)} ms | ${target} |`,
    );
  try {
    for (const { args, target } of cases) {
      row(args, "dist/cli.js", await samples(build.entry, args, env), target);
      row(args, "src/cli.ts", await samples(path.join(repoRoot, "src", "cli.ts"), args, env), target);
    }
    row(["tasks"], "dist/cli.js, via a running serve", await tasksThroughServe(build.entry), "< 500 ms");
    startupLines.push(
      "",
      `\`loopwright serve\` start-up, from process start; an existing data folder: median of ${STARTS} starts (the embedded database, App credentials set).`,
      "",
      "| entry | new data folder: /ping | /ready | existing data folder: /ping | /ready | target (/ready, existing) |",
      "| --- | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const [name, entry] of [
      ["dist/cli.js", build.entry],
      ["src/cli.ts", path.join(repoRoot, "src", "cli.ts")],
    ] as const) {
      const { first, again } = await serveStartup(entry);
      const median = (key: keyof Startup) =>
        quantile(
          again.map((start) => start[key]).sort((a, b) => a - b),
          0.5,
        );
      const ready = median("ready");
      startupLines.push(
        `| ${name} | ${first.ping.toFixed(0)} ms | ${first.ready.toFixed(0)} ms | ${median("ping").toFixed(0)} ms | ${ready.toFixed(0)} ms | < 2,000 ms: ${ready < 2000 ? "met" : "NOT met"} |`,
      );
    }
    const baseline = await samples(path.join(repoRoot, "bench", "empty-script.ts"), [], env);
    lines.push(
      "",
      `${RUNS} runs each, one after another, after one warm-up. For scale: Node itself starting a TypeScript file that does nothing takes ${quantile(baseline, 0.5).toFixed(0)} ms (median) here; the source entry pays type stripping for every file it loads, the compiled one does not.`,
    );
  } finally {
    build.remove();
  }
  return { title: "CLI response time", markdown: [...lines, ...startupLines].join("\n") };
}
