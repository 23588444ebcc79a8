import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { privateDirectory } from "../config/private-directory.ts";

/** The file in the data folder holding a generated key when no webhook secret is set. */
export const DASHBOARD_KEY_FILE = "dashboard.key";

/**
 * The dashboard's master key (cookies are sealed with keys derived from it): from the webhook secret
 * when one is set, so every web process of a deployment agrees; otherwise 32 random bytes generated
 * once and kept in `<dataDir>/dashboard.key` (0600, in the 0700 data folder).
 *
 * @example
 * const sealer = createCookieSealer(dashboardKey(settings.github.webhookSecret, settings.dataDir));
 */
export function dashboardKey(webhookSecret: string | undefined, dataDir: string): Buffer {
  if (webhookSecret) return Buffer.from(`loopwright dashboard:${webhookSecret}`, "utf8");
  const file = path.join(privateDirectory(dataDir), DASHBOARD_KEY_FILE);
  try {
    return Buffer.from(readFileSync(file, "utf8").trim(), "hex");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const key = randomBytes(32);
  try {
    writeFileSync(file, key.toString("hex"), { mode: 0o600, flag: "wx" });
    return key;
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return Buffer.from(readFileSync(file, "utf8").trim(), "hex");
  }
}
