import { spawn } from "node:child_process";
import type { CommandResult, CommandRunner } from "../../../src/agent/command-runner.ts";

/**
 * A plain child-process CommandRunner for tests (no sandbox): its own process group, killed whole
 * on timeout or abort, output interleaved and capped.
 */
export function createChildRunner(maxOutputBytes = 1024 * 1024): CommandRunner {
  return {
    policy: { mode: "none", network: true, writableRoots: [] },
    run(request) {
      const started = performance.now();
      return new Promise<CommandResult>((resolve) => {
        const child = spawn(request.argv[0] ?? "true", request.argv.slice(1), {
          cwd: request.cwd,
          detached: true,
          stdio: ["ignore", "pipe", "pipe"],
        });
        const chunks: Buffer[] = [];
        let bytes = 0;
        let timedOut = false;
        const collect = (chunk: Buffer) => {
          if (bytes < maxOutputBytes) chunks.push(chunk.subarray(0, maxOutputBytes - bytes));
          bytes += chunk.length;
        };
        child.stdout.on("data", collect);
        child.stderr.on("data", collect);
        const kill = () => {
          if (child.pid !== undefined) {
            try {
              process.kill(-child.pid, "SIGKILL");
            } catch {
              // Already gone.
            }
          }
        };
        const timer = setTimeout(() => {
          timedOut = true;
          kill();
        }, request.timeoutMs);
        request.signal?.addEventListener("abort", kill, { once: true });
        const done = (exitCode: number) => {
          clearTimeout(timer);
          request.signal?.removeEventListener("abort", kill);
          resolve({
            exitCode: timedOut ? 124 : exitCode,
            output: Buffer.concat(chunks).toString("utf8"),
            outputBytes: bytes,
            truncated: bytes > maxOutputBytes,
            timedOut,
            durationMs: Math.round(performance.now() - started),
          });
        };
        child.on("error", (error) => {
          chunks.push(Buffer.from(String(error.message)));
          done(127);
        });
        child.on("close", (code, signal) => done(code ?? 128 + (signal === "SIGKILL" ? 9 : 15)));
        if (request.signal?.aborted) kill();
      });
    },
  };
}
