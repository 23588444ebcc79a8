/** Resource limits applied to every sandboxed command. */
export type SandboxLimits = {
  /** Output kept per command (head and tail halves); the rest is counted, not stored. */
  maxOutputBytes: number;
  /** CPU seconds per process (RLIMIT_CPU); the kernel kills a process that uses more. */
  cpuSeconds: number;
  /** Writable memory per process (RLIMIT_DATA): heap and private mappings. */
  memoryBytes: number;
  /** Processes and threads the command may have at once (RLIMIT_NPROC). */
  maxProcesses: number;
  /** Size of the private /tmp and of the private home (each a tmpfs under bwrap). */
  tmpBytes: number;
  /** The largest file a command may write (RLIMIT_FSIZE): a bigger write fails with EFBIG. */
  fileBytes: number;
  /** What the workspace may hold in all; a command that grows it past this is killed. */
  diskBytes: number;
  /** Files and folders the workspace may hold in all. */
  maxEntries: number;
};

export const DEFAULT_LIMITS: SandboxLimits = {
  maxOutputBytes: 1024 * 1024,
  cpuSeconds: 900,
  memoryBytes: 4 * 1024 ** 3,
  maxProcesses: 1024,
  tmpBytes: 1024 ** 3,
  fileBytes: 512 * 1024 ** 2,
  diskBytes: 4 * 1024 ** 3,
  maxEntries: 500_000,
};

const MINIMUM: SandboxLimits = {
  maxOutputBytes: 64,
  cpuSeconds: 1,
  memoryBytes: 16 * 1024 ** 2,
  maxProcesses: 8,
  tmpBytes: 1024 ** 2,
  fileBytes: 1024 ** 2,
  diskBytes: 16 * 1024 ** 2,
  maxEntries: 100,
};

/**
 * Fills in defaults and checks each limit is a whole number within reason.
 *
 * @example
 * resolveLimits({ maxProcesses: 64 }).maxProcesses; // 64
 * @throws RangeError naming the bad limit
 */
export function resolveLimits(partial: Partial<SandboxLimits> = {}): SandboxLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof SandboxLimits)[]) {
    const value = partial[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < MINIMUM[key]) {
      throw new RangeError(
        `sandbox limit ${key} must be a whole number of at least ${MINIMUM[key]} (got ${value})`,
      );
    }
    limits[key] = value;
  }
  return limits;
}

/** How the limits are applied: to a bwrap command or a plain process, as which identity. */
export type LimitPlan = {
  /** `bwrap`: inside the namespaces; `none`: a plain child process of this one. */
  mode: "bwrap" | "none";
  /** The uid/gid to become when this process is root (see sandbox-identity.ts). */
  identity?: { uid: number; gid: number };
  /** Processes this user already runs (RLIMIT_NPROC counts them when no namespace separates them). */
  extraProcesses?: number;
};

/** Capabilities mode none keeps as root: read and write the files root owns, nothing more. */
const NONE_MODE_ROOT_CAPS = "-all,+dac_override,+fowner";

function identityArguments(plan: LimitPlan): string[] {
  const { identity } = plan;
  if (plan.mode === "bwrap") {
    if (identity === undefined) return ["--no-new-privs"];
    // Becoming a plain uid drops every capability; clearing the sets too leaves no way back.
    return [
      `--reuid=${identity.uid}`,
      `--regid=${identity.gid}`,
      "--clear-groups",
      "--inh-caps=-all",
      "--ambient-caps=-all",
      "--bounding-set=-all",
      "--no-new-privs",
    ];
  }
  // Mode none offers no isolation (it is for an already isolated container); as root it still
  // changes uid so the kernel enforces the process limit, keeping access to root's files.
  const args = ["--pdeathsig=KILL", "--no-new-privs"];
  if (identity === undefined) return args;
  return [
    `--reuid=${identity.uid}`,
    `--regid=${identity.uid}`,
    "--clear-groups",
    `--inh-caps=${NONE_MODE_ROOT_CAPS}`,
    `--ambient-caps=${NONE_MODE_ROOT_CAPS}`,
    `--bounding-set=${NONE_MODE_ROOT_CAPS}`,
    // Keep the capabilities in effect for access(2) too, which git uses to check the work tree.
    "--securebits=+no_setuid_fixup,+no_setuid_fixup_locked,+noroot,+noroot_locked",
    ...args,
  ];
}

/**
 * The argv prefix that applies the limits to a command and then runs it: `setpriv` (identity, no
 * new privileges) and `prlimit` (CPU, memory, processes, file size, no core dumps).
 *
 * @example
 * limitArguments(resolveLimits(), { mode: "bwrap", identity: { uid: 1_700_000_001, gid: 1_599_999_999 } });
 * // ["setpriv", "--reuid=1700000001", …, "--", "prlimit", "--cpu=900", …, "--"]
 */
export function limitArguments(limits: SandboxLimits, plan: LimitPlan): string[] {
  const nproc = limits.maxProcesses + (plan.extraProcesses ?? 0);
  return [
    "setpriv",
    ...identityArguments(plan),
    "--",
    "prlimit",
    `--cpu=${limits.cpuSeconds}`,
    `--data=${limits.memoryBytes}`,
    `--nproc=${nproc}`,
    `--fsize=${limits.fileBytes}`,
    "--core=0",
    "--",
  ];
}
