import { lstatSync, readdirSync, readlinkSync, realpathSync } from "node:fs";
import path from "node:path";

/** What of the Node.js installation a sandboxed command sees: bound read-only, links recreated. */
export type RuntimeMounts = {
  /** Host paths shown read-only at the same place: the runtime's files, never the folder holding them. */
  binds: string[];
  /** `[target, link]` pairs recreated inside the sandbox (the bin folder's symlinks). */
  symlinks: [string, string][];
  /** The runtime's bin folder, first on the sandbox's PATH. */
  binDir: string;
};

const SYSTEM_PREFIXES = ["/usr/", "/bin/", "/sbin/", "/lib/", "/lib64/", "/etc/"];
/** The programs of a Node.js installation a command may call. */
const RUNTIME_PROGRAMS = ["node", "npm", "npx", "corepack"];

const isSystemPath = (file: string) => SYSTEM_PREFIXES.some((prefix) => `${file}/`.startsWith(prefix));

/** The package folder (`…/lib/node_modules/<name>`) a real file belongs to, or the file itself. */
function packageOrFile(real: string): string {
  const match = /^(.*\/lib\/node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(real);
  return match?.[1] ?? real;
}

/**
 * The mounts that let sandboxed commands run the same Node.js as this process when it lives outside
 * the system folders (e.g. under a home directory): only `node`, `npm`, `npx`, `corepack` and the
 * package folders they resolve to are shown — never the installation's parent, which may be a home
 * directory holding keys and `.env` files.
 *
 * @example
 * runtimeMounts("/root/.node24/bin/node");
 * // { binds: ["/root/.node24/lib/node_modules/node"], symlinks: [["../lib/node_modules/node/bin/node", "/root/.node24/bin/node"]], binDir: "/root/.node24/bin" }
 */
export function runtimeMounts(execPath: string = process.execPath): RuntimeMounts {
  const binDir = path.dirname(execPath);
  const mounts: RuntimeMounts = { binds: [], symlinks: [], binDir };
  if (isSystemPath(realpathSync(execPath))) return mounts;
  const present = new Set(readdirSync(binDir));
  for (const name of RUNTIME_PROGRAMS.filter((program) => present.has(program))) {
    const entry = path.join(binDir, name);
    let real: string;
    try {
      real = realpathSync(entry);
    } catch {
      continue; // a dangling link: the program is not really installed
    }
    if (isSystemPath(real)) continue;
    if (lstatSync(entry).isSymbolicLink()) mounts.symlinks.push([readlinkSync(entry), entry]);
    mounts.binds.push(packageOrFile(real));
  }
  mounts.binds = [...new Set(mounts.binds)];
  return mounts;
}
