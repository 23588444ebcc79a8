import { lstatSync, readdirSync, readlinkSync, realpathSync } from "node:fs";
import path from "node:path";

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
  /** The resolver configuration's real directory when /etc/resolv.conf points outside /etc. */
  resolverDir: string | undefined;
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
    resolverDir: undefined,
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
  try {
    const resolver = realpathSync("/etc/resolv.conf");
    if (!resolver.startsWith("/etc/")) layout.resolverDir = path.dirname(resolver);
  } catch {
    // no resolver configuration: name lookups fail, as they would on the host
  }
  return layout;
}

/** Everything one bwrap invocation needs to know. */
export type BwrapPlan = {
  host: HostLayout;
  workspace: string;
  network: boolean;
  /** Extra host paths shown read-only at the same place (the Node.js runtime, tool caches). */
  readOnlyPaths: string[];
  tmpBytes: number;
  /** Running unprivileged: bwrap needs a user namespace, and the command keeps the caller's uid. */
  rootless: boolean;
  /** File descriptors whose contents become files inside the sandbox (a writable copy, or read-only). */
  dataFiles: { fd: number; target: string; writable: boolean }[];
  cwd: string;
};

/**
 * The bwrap options for one command: read-only system directories with secrets masked, the
 * workspace writable, private /tmp and home, and new PID, IPC, UTS (and network) namespaces.
 *
 * @example
 * bwrapArguments({ host: readHostLayout(), workspace: "/w", network: false, readOnlyPaths: [],
 *   tmpBytes: 2 ** 30, rootless: false, dataFiles: [], cwd: "/w" });
 * // ["--die-with-parent", "--new-session", "--unshare-pid", …, "--chdir", "/w"]
 */
export function bwrapArguments(plan: BwrapPlan): string[] {
  const args = ["--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc", "--unshare-uts"];
  args.push("--hostname", "sandbox");
  if (!plan.network) args.push("--unshare-net");
  if (plan.rootless) args.push("--unshare-user", "--disable-userns");
  for (const dir of plan.host.directories) args.push("--ro-bind", dir, dir);
  for (const [target, link] of plan.host.symlinks) args.push("--symlink", target, link);
  for (const file of plan.host.secretFiles) args.push("--ro-bind", "/dev/null", file);
  for (const dir of plan.host.secretDirs) args.push("--tmpfs", dir);
  if (plan.network && plan.host.resolverDir)
    args.push("--ro-bind", plan.host.resolverDir, plan.host.resolverDir);
  args.push("--dev", "/dev", "--proc", "/proc");
  args.push("--size", String(plan.tmpBytes), "--tmpfs", "/tmp");
  args.push("--size", String(plan.tmpBytes), "--tmpfs", SANDBOX_HOME);
  args.push("--symlink", "/tmp", "/var/tmp");
  for (const dir of plan.readOnlyPaths) args.push("--ro-bind", dir, dir);
  args.push("--bind", plan.workspace, plan.workspace);
  for (const { fd, target, writable } of plan.dataFiles) {
    args.push("--perms", "0644", writable ? "--file" : "--ro-bind-data", String(fd), target);
  }
  args.push("--remount-ro", "/", "--chdir", plan.cwd);
  return args;
}
