import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Logger } from "../logger.ts";
import { bwrapArguments, readHostLayout } from "./sandbox-bwrap.ts";
import { sandboxEnvironment } from "./sandbox-environment.ts";
import { allocateSandboxIdentity } from "./sandbox-identity.ts";
import { limitArguments, resolveLimits } from "./sandbox-limits.ts";
import { runProcessTree } from "./sandbox-process.ts";

/** Why no sandbox could be chosen; the message says what to do. */
export class SandboxError extends Error {
  override name = "SandboxError";
}

/** Runs `true` exactly as a sandboxed command would run; resolves to why it failed, or undefined. */
async function probe(useBwrap: boolean): Promise<string | undefined> {
  const workspace = await mkdtemp(path.join(os.tmpdir(), "loopwright-probe-"));
  try {
    const limits = resolveLimits();
    const identity = allocateSandboxIdentity();
    const wrapper = limitArguments(limits, { mode: useBwrap ? "bwrap" : "none", identity });
    const bwrap = useBwrap
      ? [
          "bwrap",
          ...bwrapArguments({
            host: readHostLayout(),
            workspace,
            readOnlyPaths: [],
            tmpBytes: limits.tmpBytes,
            rootless: identity === undefined,
            dataFiles: [],
            cwd: workspace,
          }),
          "--",
        ]
      : [];
    const result = await runProcessTree({
      argv: [...bwrap, ...wrapper, "true"],
      env: sandboxEnvironment({ home: workspace, tmp: workspace }),
      cwd: workspace,
      timeoutMs: 10_000,
      maxOutputBytes: 4096,
    });
    if (result.exitCode === 0) return undefined;
    return `exit ${result.exitCode}${result.output.trim() ? `: ${result.output.trim()}` : ""}`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT"
      ? `${useBwrap ? "bwrap" : "setpriv or prlimit"} is not installed`
      : String(error);
  } finally {
    await rm(workspace, { recursive: true, force: true });
  }
}

const probes = new Map<boolean, Promise<string | undefined>>();

function cachedProbe(useBwrap: boolean): Promise<string | undefined> {
  let pending = probes.get(useBwrap);
  if (!pending) {
    pending = probe(useBwrap);
    probes.set(useBwrap, pending);
  }
  return pending;
}

/**
 * Chooses how commands run, checking once per process that bubblewrap really works here.
 * `auto` picks bwrap where it works and otherwise refuses: running model-chosen commands without
 * isolation must be asked for by name (`none`).
 *
 * @example
 * const mode = await detectSandboxMode("auto", log); // "bwrap"
 * @throws SandboxError when bwrap is wanted but does not work, or the limit tools are missing
 */
export async function detectSandboxMode(
  requested: "auto" | "bwrap" | "none",
  log?: Logger,
): Promise<"bwrap" | "none"> {
  if (requested === "none") {
    const failure = await cachedProbe(false);
    if (failure) {
      throw new SandboxError(
        `cannot apply the sandbox limits (${failure}); install util-linux (setpriv, prlimit)`,
      );
    }
    return "none";
  }
  const fresh = !probes.has(true);
  const failure = await cachedProbe(true);
  if (failure) {
    const hint =
      requested === "auto"
        ? "install bubblewrap (and allow unprivileged user namespaces), or set LOOPWRIGHT_SANDBOX=none if this process already runs in an isolated container"
        : "fix bubblewrap, or choose another LOOPWRIGHT_SANDBOX";
    if (fresh) log?.error({ reason: failure }, "sandbox: bubblewrap does not work here");
    throw new SandboxError(`bubblewrap does not work here (${failure}); ${hint}`);
  }
  if (fresh) log?.info({ mode: "bwrap", requested }, "sandbox: commands run under bubblewrap");
  return "bwrap";
}
