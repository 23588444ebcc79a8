import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { privateDirectory } from "../config/private-directory.ts";

/** Where `loopwright serve` leaves the local administrator's API token for the CLI on this machine. */
export const LOCAL_TOKEN_FILE = "api-token";

/**
 * A new random local administrator token (written by `writeLocalToken` once the process owns its data).
 *
 * @example
 * const token = createLocalToken(); // "lwl_…"
 */
export function createLocalToken(): string {
  return `lwl_${randomBytes(32).toString("base64url")}`;
}

/**
 * Writes the token into `<dataDir>/api-token` (0600, in the 0700 data folder): whoever can read
 * Loopwright's data folder may read its API as an administrator, which is how `loopwright tasks`
 * reaches a running `serve` that holds the embedded database. Returns the removal, which deletes the
 * file only while it still holds this token.
 *
 * @example
 * const remove = writeLocalToken(settings.dataDir, token);
 * remove();
 */
export function writeLocalToken(dataDir: string, token: string): () => void {
  const file = path.join(privateDirectory(dataDir), LOCAL_TOKEN_FILE);
  rmSync(file, { force: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
  return () => {
    if (readLocalToken(dataDir) === token) rmSync(file, { force: true });
  };
}

/**
 * The local administrator's token a running `serve` wrote, or undefined when there is none.
 *
 * @example
 * const token = readLocalToken(settings.dataDir);
 */
export function readLocalToken(dataDir: string): string | undefined {
  try {
    return readFileSync(path.join(dataDir, LOCAL_TOKEN_FILE), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}
