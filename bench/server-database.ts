import pg from "pg";

/** The PostgreSQL server the benchmarks' server rows use, when one is configured. */
export const serverUrl = process.env.TEST_DATABASE_URL || process.env.BENCH_DATABASE_URL || undefined;

/**
 * Runs `fn` on a new, empty database of the benchmark server, dropped afterwards.
 *
 * @example
 * const rate = await withServerDatabase(async (url) => measure(await openDatabase({ url })));
 * @throws Error when no server is configured
 */
export async function withServerDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  if (!serverUrl) throw new Error("set TEST_DATABASE_URL or BENCH_DATABASE_URL for the server rows");
  const name = `lw_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
