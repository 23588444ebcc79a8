import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

export const repoRoot = path.resolve(import.meta.dirname, "../..");
export const cliEntry = path.join(repoRoot, "src/cli.ts");

/** Settings a test must not inherit from the developer's shell or a local .env. */
const inheritedSettings =
  /^(APP_ID|PRIVATE_KEY|PRIVATE_KEY_PATH|WEBHOOK_|PUBLIC_URL$|NO_SMEE_SETUP$|GHE_|GITHUB_CLIENT_|OPENAI_|DATABASE_|LOOPWRIGHT_|PORT$|HOST$|NODE_ENV$)/;

/**
 * The parent's environment without Loopwright settings, plus the given ones; a developer's `.env`
 * in the working folder is not read either (`LOOPWRIGHT_ENV_FILE=off`) unless a test says so.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!inheritedSettings.test(key)) env[key] = value;
  }
  return { ...env, LOOPWRIGHT_ENV_FILE: "off", ...extra };
}

export type RunningCli = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

/**
 * Starts `node src/cli.ts ARGS` (the real entry point, TypeScript run by Node's type stripping), or
 * another entry (a compiled `dist/cli.js`).
 */
export function startCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; entry?: string } = {},
): RunningCli {
  const child = spawn(process.execPath, [options.entry ?? cliEntry, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: options.env ?? cleanEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Runs the CLI to completion and returns its exit code and combined output. */
export async function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ code: number | null; output: string }> {
  const running = startCli(args, options);
  const code = await running.exited;
  return { code, output: running.output() };
}

/**
 * Waits until a started CLI process answers `url` with `status` (any status when omitted). Readiness-
 * based: it polls for as long as the process lives and fails at once, with the process output, if it
 * exits. The deadline only guards against a hang; it is far longer than a loaded machine's start-up.
 */
export async function waitForHttp(
  url: string,
  running: RunningCli,
  options: { status?: number; timeoutMs?: number } = {},
): Promise<Response> {
  const timeoutMs = options.timeoutMs ?? 240_000;
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  running.exited.then((code) => {
    exitCode = code;
  });
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`the process exited (${exitCode}) before ${url} answered:\n${running.output()}`);
    }
    try {
      const response = await fetch(url, { redirect: "manual" });
      if (options.status === undefined || response.status === options.status) return response;
      last = `status ${response.status}: ${await response.text()}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${last}):\n${running.output()}`);
}
