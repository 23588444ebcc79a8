import { type ChildProcess, spawn } from "node:child_process";
import { chownSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { freePort } from "./free-port.ts";
import { initNode, type PostgresNode, postgresPlace, postgresUnavailable } from "./postgres-server.ts";
import { waitFor } from "./wait-for.ts";

function pgbouncerBinary(): string | undefined {
  return ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer"].find((file) =>
    existsSync(file),
  );
}

/**
 * Why a throwaway cluster cannot be started here (binaries absent, root without a `postgres` user),
 * or undefined when it can.
 */
export function clusterUnavailable(): string | undefined {
  return (
    postgresUnavailable() ??
    (pgbouncerBinary() ? undefined : "no pgbouncer binary (apt-get install pgbouncer)")
  );
}

export type ClusterNode = PostgresNode;

export type PostgresCluster = {
  /** The primary, directly (for LISTEN and for the test's own checks). */
  primary: ClusterNode;
  /** A streaming replica of the primary. */
  replica: ClusterNode;
  /** A replica of the replica (cascading replication). */
  cascade: ClusterNode;
  /** PgBouncer in transaction-pooling mode in front of the primary. */
  bouncer: { port: number; url: string };
  /** Waits until `node` has replayed the primary's WAL up to now. */
  caughtUp(node: ClusterNode, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
};

/**
 * A throwaway primary, a streaming replica (`pg_basebackup -R`), a cascading replica of that
 * replica, and PgBouncer in transaction mode in front of the primary, all on 127.0.0.1 under one
 * temporary folder; `stop()` ends them and removes it. Check `clusterUnavailable()` first.
 *
 * @example
 * const cluster = await startPostgresCluster();
 * await new pg.Client({ connectionString: cluster.bouncer.url }).connect();
 * await cluster.stop();
 */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const reason = clusterUnavailable();
  if (reason) throw new Error(reason);
  const place = postgresPlace();
  const { root, user } = place;
  const asServerUser = user ? { uid: user.uid, gid: user.gid } : {};
  const started: ClusterNode[] = [];
  const children: ChildProcess[] = [];
  const startNode = async (node: ClusterNode) => {
    place.start(node);
    started.push(node);
  };

  try {
    const primary = await initNode(place, "primary");
    await startNode(primary);

    const replica = await place.newNode("replica");
    const basebackup = (from: ClusterNode, to: ClusterNode) => {
      place.run("pg_basebackup", [
        "-h",
        "127.0.0.1",
        "-p",
        String(from.port),
        "-U",
        "postgres",
        "-D",
        to.dataDir,
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
      ]);
      // -R appended primary_conninfo to the copied auto.conf; the node's own port comes last and wins.
      writeFileSync(path.join(to.dataDir, "postgresql.auto.conf"), `\nport = ${to.port}\n`, { flag: "a" });
    };
    basebackup(primary, replica);
    await startNode(replica);
    const cascade = await place.newNode("cascade");
    basebackup(replica, cascade);
    await startNode(cascade);

    const bouncerPort = await freePort();
    const bouncerDir = path.join(root, "pgbouncer");
    mkdirSync(bouncerDir);
    writeFileSync(path.join(bouncerDir, "userlist.txt"), '"postgres" ""\n');
    writeFileSync(
      path.join(bouncerDir, "pgbouncer.ini"),
      [
        "[databases]",
        `* = host=127.0.0.1 port=${primary.port}`,
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        `listen_port = ${bouncerPort}`,
        "unix_socket_dir =",
        "auth_type = trust",
        `auth_file = ${path.join(bouncerDir, "userlist.txt")}`,
        "pool_mode = transaction",
        "max_client_conn = 1000",
        "default_pool_size = 20",
        "ignore_startup_parameters = extra_float_digits",
        "",
      ].join("\n"),
    );
    if (user) chownSync(bouncerDir, user.uid, user.gid);
    const bouncer = spawn(pgbouncerBinary() as string, [path.join(bouncerDir, "pgbouncer.ini")], {
      stdio: ["ignore", "ignore", "pipe"],
      cwd: bouncerDir,
      ...asServerUser,
    });
    children.push(bouncer);
    let bouncerOutput = "";
    bouncer.stderr?.on("data", (chunk: Buffer) => {
      bouncerOutput += chunk.toString();
    });
    const bouncerUrl = `postgres://postgres@127.0.0.1:${bouncerPort}/postgres`;
    await waitFor(
      async () => {
        if (bouncer.exitCode !== null) throw new Error(`pgbouncer exited:\n${bouncerOutput}`);
        const client = new pg.Client({ connectionString: bouncerUrl });
        try {
          await client.connect();
          await client.query("select 1");
          return true;
        } catch {
          return false;
        } finally {
          await client.end().catch(() => {});
        }
      },
      60_000,
      "pgbouncer to answer",
    );

    const caughtUp = async (node: ClusterNode, timeoutMs = 60_000) => {
      const primaryClient = new pg.Client({ connectionString: primary.url });
      const nodeClient = new pg.Client({ connectionString: node.url });
      await Promise.all([primaryClient.connect(), nodeClient.connect()]);
      try {
        const { rows } = await primaryClient.query<{ lsn: string }>(
          "select pg_current_wal_lsn()::text as lsn",
        );
        const target = rows[0]?.lsn;
        await waitFor(
          async () => {
            const { rows: replayed } = await nodeClient.query<{ ok: boolean }>(
              "select pg_last_wal_replay_lsn() >= $1::pg_lsn as ok",
              [target],
            );
            return replayed[0]?.ok === true;
          },
          timeoutMs,
          `${node.dataDir} to replay up to ${target}`,
        );
      } finally {
        await Promise.all([primaryClient.end(), nodeClient.end()]);
      }
    };

    return {
      primary,
      replica,
      cascade,
      bouncer: { port: bouncerPort, url: bouncerUrl },
      caughtUp,
      stop: () => stopAll(),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }

  async function stopAll(): Promise<void> {
    for (const child of children) {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
    }
    for (const node of started.reverse()) {
      try {
        place.stop(node, "immediate");
      } catch {
        // already stopped
      }
    }
    place.remove();
  }
}
