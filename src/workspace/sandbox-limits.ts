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
};

export const DEFAULT_LIMITS: SandboxLimits = {
  maxOutputBytes: 1024 * 1024,
  cpuSeconds: 900,
  memoryBytes: 4 * 1024 ** 3,
  maxProcesses: 1024,
  tmpBytes: 1024 ** 3,
};

const MINIMUM: SandboxLimits = {
  maxOutputBytes: 64,
  cpuSeconds: 1,
  memoryBytes: 16 * 1024 ** 2,
  maxProcesses: 8,
  tmpBytes: 1024 ** 2,
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

/**
 * The argv prefix that applies the limits to a command and then runs it.
 *
 * The kernel does not enforce RLIMIT_NPROC for uid 0, so when Loopwright runs as root the command
 * runs as `uid` instead, keeping only the capabilities to read and write the files root owns in
 * the places it can see (CAP_DAC_OVERRIDE, CAP_FOWNER); never CAP_SETUID, so it cannot become root again.
 *
 * @example
 * limitArguments(resolveLimits(), { uid: 1_700_000_001 });
 * // ["setpriv", "--reuid=1700000001", …, "--", "prlimit", "--cpu=900", …, "--"]
 */
export function limitArguments(
  limits: SandboxLimits,
  options: { uid?: number; extraProcesses?: number; dieWithParent?: boolean },
): string[] {
  const setpriv: string[] = [];
  if (options.uid !== undefined) {
    const caps = "-all,+dac_override,+fowner";
    setpriv.push(
      `--reuid=${options.uid}`,
      `--regid=${options.uid}`,
      "--clear-groups",
      `--inh-caps=${caps}`,
      `--ambient-caps=${caps}`,
      `--bounding-set=${caps}`,
      // Keep the capabilities in effect for access(2) too, which git uses to check the work tree.
      "--securebits=+no_setuid_fixup,+no_setuid_fixup_locked,+noroot,+noroot_locked",
      "--no-new-privs",
    );
  }
  if (options.dieWithParent) setpriv.push("--pdeathsig=KILL");
  const nproc = limits.maxProcesses + (options.extraProcesses ?? 0);
  const prlimit = [
    "prlimit",
    `--cpu=${limits.cpuSeconds}`,
    `--data=${limits.memoryBytes}`,
    `--nproc=${nproc}`,
    "--core=0",
    "--",
  ];
  return setpriv.length > 0 ? ["setpriv", ...setpriv, "--", ...prlimit] : prlimit;
}
