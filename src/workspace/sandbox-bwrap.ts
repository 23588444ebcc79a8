import { lstatSync, readdirSync, readlinkSync } from "node:fs";

/** Where the sandboxed command's home is; a private tmpfs. */
export const SANDBOX_HOME = "/home/sandbox";

/** Top-level system directories shown read-only; everything else on the host is absent. */
const SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"];

/** Files under /etc that hold secrets: replaced by an empty file. */
const SECRET_ETC_FILES = [
  "/etc/shadow",
  "/etc/shadow-",
  "/etc/gshadow",
  "/etc/gshadow-",
  "/etc/sudoers",
  "/etc/security/opasswd",
];

/** Directories under /etc that hold secrets: replaced by an empty tmpfs. */
const SECRET_ETC_DIRS = ["/etc/sudoers.d", "/etc/ssl/private"];

/** What of the host's filesystem the sandbox layout depends on; read once. */
export type HostLayout = {
  /** System directories that are symlinks (merged /usr), with their targets. */
  symlinks: [string, string][];
  directories: string[];
  secretFiles: string[];
  secretDirs: string[];
};

function kind(target: string): "symlink" | "file" | "directory" | undefined {
  try {
    const stats = lstatSync(target);
    if (stats.isSymbolicLink()) return "symlink";
    return stats.isDirectory() ? "directory" : "file";
  } catch {
    return undefined;
  }
}

/**
 * Reads which system directories, secret files and resolver paths exist on this host.
 *
 * @example
 * const host = readHostLayout();
 * host.directories; // ["/usr", "/etc", …]
 */
export function readHostLayout(): HostLayout {
  const layout: HostLayout = {
    symlinks: [],
    directories: [],
    secretFiles: [],
    secretDirs: [],
  };
  for (const dir of SYSTEM_DIRS) {
    const found = kind(dir);
    if (found === "symlink") layout.symlinks.push([readlinkSync(dir), dir]);
    else if (found === "directory") layout.directories.push(dir);
  }
  let sshKeys: string[] = [];
  try {
    sshKeys = readdirSync("/etc/ssh")
      .filter((name) => /^ssh_host_.*_key$/.test(name))
      .map((name) => `/etc/ssh/${name}`);
  } catch {
    // no ssh server keys on this host
  }
  layout.secretFiles = [...SECRET_ETC_FILES, ...sshKeys].filter((file) => kind(file) === "file");
  layout.secretDirs = SECRET_ETC_DIRS.filter((dir) => kind(dir) === "directory");
  return layout;
}

/** Every folder above `paths` outside the system folders, parents first (bwrap would copy their modes). */
function ancestorsToCreate(paths: string[]): string[] {
  const under = (dir: string, root: string) => dir === root || dir.startsWith(`${root}/`);
  const ancestors = new Set<string>();
  for (const target of paths) {
    const parts = target.split("/").filter(Boolean);
    for (let depth = 1; depth < parts.length; depth += 1) {
      const dir = `/${parts.slice(0, depth).join("/")}`;
      if (!SYSTEM_DIRS.some((root) => under(dir, root))) ancestors.add(dir);
    }
  }
  return [...ancestors].sort((a, b) => a.split("/").length - b.split("/").length);
}

/** Where the network gate's socket appears inside the sandbox. */
export const GATE_SOCKET = "/run/loopwright-gate.sock";

/** Everything one bwrap invocation needs to know. */
export type BwrapPlan = {
  host: HostLayout;
  workspace: string;
  /**
   * The network gate's socket when the command may use the network. The command always has its
   * own network namespace (no route to this host or its network); the gate is its only way out.
   */
  gateSocket?: string | undefined;
  /** Extra host paths shown read-only at the same place (the Node.js runtime, tool caches). */
  readOnlyPaths: string[];
  /** `[target, link]` symlinks to recreate (the runtime's bin folder). */
  symlinks?: [string, string][];
  tmpBytes: number;
  /** Running unprivileged: bwrap needs a user namespace, and the command keeps the caller's uid. */
  rootless: boolean;
  /** File descriptors whose contents become files inside the sandbox (a writable copy, or read-only). */
  dataFiles: { fd: number; target: string; writable: boolean }[];
  cwd: string;
};

/**
 * The bwrap options for one command: read-only system directories with secrets masked, the
 * workspace writable, private /tmp and home, and new PID, IPC, UTS and network namespaces (the
 * network gate's socket bound in when the command may reach the internet). bwrap mounts every
 * bind `nosuid`.
 *
 * @example
 * bwrapArguments({ host: readHostLayout(), workspace: "/w", readOnlyPaths: [],
 *   tmpBytes: 2 ** 30, rootless: false, dataFiles: [], cwd: "/w" });
 * // ["--die-with-parent", "--new-session", "--unshare-pid", …, "--chdir", "/w"]
 */
export function bwrapArguments(plan: BwrapPlan): string[] {
  const args = ["--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc", "--unshare-uts"];
  args.push("--hostname", "sandbox", "--unshare-net");
  if (plan.rootless) args.push("--unshare-user", "--disable-userns");
  for (const dir of plan.host.directories) args.push("--ro-bind", dir, dir);
  for (const [target, link] of plan.host.symlinks) args.push("--symlink", target, link);
  for (const file of plan.host.secretFiles) args.push("--ro-bind", "/dev/null", file);
  for (const dir of plan.host.secretDirs) args.push("--tmpfs", dir);
  args.push("--dev", "/dev", "--proc", "/proc");
  // Writable by the sandbox's unprivileged uid, which owns nothing else here.
  args.push("--perms", "01777", "--size", String(plan.tmpBytes), "--tmpfs", "/tmp");
  args.push("--perms", "01777", "--size", String(plan.tmpBytes), "--tmpfs", SANDBOX_HOME);
  args.push("--symlink", "/tmp", "/var/tmp");
  // Folders on the way to a bound path are made traversable, and empty but for what is bound.
  const bound = [...plan.readOnlyPaths, plan.workspace, ...(plan.symlinks ?? []).map(([, link]) => link)];
  for (const dir of ancestorsToCreate(plan.gateSocket ? [...bound, GATE_SOCKET] : bound)) {
    args.push("--perms", "0755", "--dir", dir);
  }
  for (const dir of plan.readOnlyPaths) args.push("--ro-bind", dir, dir);
  for (const [target, link] of plan.symlinks ?? []) args.push("--symlink", target, link);
  if (plan.gateSocket) args.push("--bind", plan.gateSocket, GATE_SOCKET);
  args.push("--bind", plan.workspace, plan.workspace);
  for (const { fd, target, writable } of plan.dataFiles) {
    args.push("--perms", "0644", writable ? "--file" : "--ro-bind-data", String(fd), target);
  }
  args.push("--remount-ro", "/", "--chdir", plan.cwd);
  return args;
}
