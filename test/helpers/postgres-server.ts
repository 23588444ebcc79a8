import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./free-port.ts";

/** The newest PostgreSQL server binaries on the machine (Debian's layout), or undefined. */
export function postgresBinaries(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((name) => existsSync(path.join(root, name, "bin", "pg_basebackup")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : path.join(root, versions[0], "bin");
}

/** Servers refuse to run as root: there they run as the `postgres` user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    return undefined;
  }
}

/** Why a throwaway PostgreSQL server cannot be started here, or undefined when it can. */
export function postgresUnavailable(): string | undefined {
  if (!postgresBinaries()) return "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin";
  if (process.getuid?.() === 0 && !serverUser()) {
    return "running as root and there is no `postgres` user to run the servers as";
  }
  return undefined;
}

export type PostgresNode = { port: number; url: string; dataDir: string };

/**
 * A folder for throwaway servers and the means to run their programs in it (as the `postgres` user
 * under root). `remove()` deletes the folder; stop the servers first.
 */
export type PostgresPlace = {
  root: string;
  bin: string;
  /** Runs a PostgreSQL program (`initdb`, `pg_ctl`, …) as the servers' user, in the folder. */
  run(program: string, args: string[]): string;
  /** The uid/gid to run other programs (pgbouncer) as, if any. */
  user: { uid: number; gid: number } | undefined;
  /** A port and data folder for a new node named `name`. */
  newNode(name: string): Promise<PostgresNode>;
  /** Starts a node's server and waits until it accepts connections. */
  start(node: PostgresNode): void;
  /** Stops a node's server: `fast` (clients disconnected, a restart's way) or `immediate`. */
  stop(node: PostgresNode, mode?: "fast" | "immediate"): void;
  remove(): void;
};

/**
 * Settings of a throwaway node: loopback only, a socket in the folder, replication allowed, and no
 * fsync (surviving a power cut is not what tests are about).
 */
export function nodeSettings(place: PostgresPlace, node: PostgresNode): string {
  return [
    `port = ${node.port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${place.root}'`,
    "wal_level = replica",
    "max_wal_senders = 10",
    "hot_standby = on",
    "max_connections = 300",
    "shared_buffers = 32MB",
    "fsync = off",
    "wal_keep_size = '256MB'",
  ].join("\n");
}

/**
 * A temporary folder for throwaway servers. Check `postgresUnavailable()` first.
 *
 * @example
 * const place = postgresPlace();
 * const node = await initNode(place, "primary");
 * place.start(node);
 */
export function postgresPlace(): PostgresPlace {
  const reason = postgresUnavailable();
  if (reason) throw new Error(reason);
  const bin = postgresBinaries() as string;
  const user = serverUser();
  const root = mkdtempSync(path.join(os.tmpdir(), "lw-postgres-"));
  if (user) chownSync(root, user.uid, user.gid);
  const run = (program: string, args: string[]) =>
    execFileSync(path.join(bin, program), args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      cwd: root,
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
  return {
    root,
    bin,
    run,
    user,
    async newNode(name) {
      const port = await freePort();
      return { port, url: `postgres://postgres@127.0.0.1:${port}/postgres`, dataDir: path.join(root, name) };
    },
    start(node) {
      run("pg_ctl", ["-D", node.dataDir, "-l", `${node.dataDir}.log`, "-w", "-t", "120", "start"]);
    },
    stop(node, mode = "fast") {
      run("pg_ctl", ["-D", node.dataDir, "-m", mode, "-w", "-t", "120", "stop"]);
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** `initdb` a new node in the place, with the throwaway settings; not started yet. */
export async function initNode(place: PostgresPlace, name: string): Promise<PostgresNode> {
  const node = await place.newNode(name);
  place.run("initdb", ["-D", node.dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8"]);
  writeFileSync(path.join(node.dataDir, "postgresql.auto.conf"), `${nodeSettings(place, node)}\n`);
  return node;
}
