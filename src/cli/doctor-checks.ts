import { execFile } from "node:child_process";
import { createPrivateKey, createSign } from "node:crypto";
import { promisify } from "node:util";
import { Octokit } from "@octokit/rest";
import { createOpenAIClient } from "../agent/models/openai-client.ts";
import type { Settings } from "../config/settings.ts";
import { type Database, databaseOptions, openDatabase } from "../store/database.ts";
import { DirectoryLockedError } from "../store/directory-lock.ts";
import { migrations } from "../store/migrate.ts";
import { detectSandboxMode } from "../workspace/sandbox.ts";

/** One diagnosis: what was checked, how it went, and what to do when it did not. */
export type Check = { name: string; status: "ok" | "warn" | "fail" | "skip"; detail: string; fix?: string };

const run = promisify(execFile);

async function version(command: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await run(command, args, { timeout: 10_000 });
    return (stdout || stderr).trim().split("\n")[0];
  } catch {
    return undefined;
  }
}

function checkNode(): Check {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  const recent = major > 22 || (major === 22 && minor >= 12);
  return recent
    ? { name: "node", status: "ok", detail: `v${process.versions.node}` }
    : {
        name: "node",
        status: "fail",
        detail: `v${process.versions.node} is too old`,
        fix: "install Node.js 22.12 or newer (Node 24 LTS recommended)",
      };
}

async function checkGit(): Promise<Check> {
  const found = await version("git", ["--version"]);
  return found
    ? { name: "git", status: "ok", detail: found }
    : { name: "git", status: "fail", detail: "git is not on PATH", fix: "install git (apt-get install git)" };
}

async function checkSandbox(settings: Settings): Promise<Check[]> {
  const bwrap = await version("bwrap", ["--version"]);
  const installed: Check = bwrap
    ? { name: "bubblewrap", status: "ok", detail: bwrap }
    : settings.sandbox === "none"
      ? {
          name: "bubblewrap",
          status: "skip",
          detail: "not installed; LOOPWRIGHT_SANDBOX=none does not use it",
        }
      : {
          name: "bubblewrap",
          status: "fail",
          detail: "bwrap is not on PATH",
          fix: "install bubblewrap (apt-get install bubblewrap)",
        };
  try {
    const mode = await detectSandboxMode(settings.sandbox);
    const detail =
      mode === "bwrap"
        ? "commands run under bubblewrap (user namespaces work)"
        : "LOOPWRIGHT_SANDBOX=none: commands run without isolation";
    return [installed, { name: "sandbox", status: mode === "bwrap" ? "ok" : "warn", detail }];
  } catch (error) {
    return [
      installed,
      {
        name: "sandbox",
        status: "fail",
        detail: (error as Error).message,
        fix: "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or in Docker --security-opt seccomp=unconfined), or set LOOPWRIGHT_SANDBOX=none inside an isolated container",
      },
    ];
  }
}

async function checkDatabase(settings: Settings): Promise<Check> {
  const where = settings.database.url ? "PostgreSQL (DATABASE_URL)" : `embedded, in ${settings.dataDir}/db`;
  let db: Database;
  try {
    db = await openDatabase(databaseOptions(settings));
  } catch (error) {
    if (error instanceof DirectoryLockedError) {
      return { name: "database", status: "ok", detail: `${where}: in use by a running loopwright serve` };
    }
    return {
      name: "database",
      status: "fail",
      detail: (error as Error).message,
      fix: settings.database.url
        ? "check DATABASE_URL (host, port, user, password) and that the server is up"
        : "check that LOOPWRIGHT_DATA_DIR is writable by this user",
    };
  }
  try {
    const { rows } = await db.query<{ version: number | null }>(
      `select max(version) as version from loopwright.schema_migrations`,
    );
    const known = Math.max(...migrations.map((migration) => migration.version));
    const at = rows[0]?.version ?? 0;
    if (at < known) {
      return {
        name: "database",
        status: "warn",
        detail: `${where}: schema at version ${at}, this Loopwright brings ${known}`,
        fix: "start loopwright serve (or worker) once: it applies the migrations",
      };
    }
    return { name: "database", status: "ok", detail: `${where}: schema version ${at}` };
  } catch {
    return {
      name: "database",
      status: "warn",
      detail: `${where}: reachable, not set up yet`,
      fix: "start loopwright serve once: it creates the schema",
    };
  } finally {
    await db.close();
  }
}

async function checkModel(settings: Settings): Promise<Check> {
  const { apiKey, baseUrl, name } = settings.model;
  if (!apiKey && !baseUrl) {
    return {
      name: "model",
      status: "skip",
      detail: "OPENAI_API_KEY is not set",
      fix: "set OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible server) before asking the agent to work",
    };
  }
  try {
    const { client, context } = createOpenAIClient(
      { model: name, apiKey, baseUrl, maxRetries: 0, timeoutMs: 15_000 },
      "Responses",
    );
    await client.models.retrieve(name);
    return { name: "model", status: "ok", detail: `${context.baseUrl} knows ${name}` };
  } catch (error) {
    const status = (error as { status?: number }).status;
    return {
      name: "model",
      status: "fail",
      detail: `${name} at ${baseUrl ?? "OpenAI"}: ${status ? `status ${status}, ` : ""}${(error as Error).message}`,
      fix:
        status === 401
          ? "check OPENAI_API_KEY"
          : status === 404
            ? "check LOOPWRIGHT_MODEL (the model name) and OPENAI_BASE_URL"
            : "check OPENAI_BASE_URL and that the server answers",
    };
  }
}

/** A GitHub App JWT (RS256), valid for nine minutes. */
function appJwt(appId: number, privateKey: string): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const unsigned = `${encode({ alg: "RS256", typ: "JWT" })}.${encode({ iat: now - 60, exp: now + 540, iss: appId })}`;
  const signature = createSign("RSA-SHA256").update(unsigned).sign(createPrivateKey(privateKey), "base64url");
  return `${unsigned}.${signature}`;
}

const octokitFor = (appId: number, privateKey: string, baseUrl: string): Octokit =>
  new Octokit({ auth: appJwt(appId, privateKey), baseUrl, request: { retries: 0 } });

/** Hosts GitHub cannot deliver to: this machine, or a private network. */
const UNREACHABLE_HOST = /^(localhost|127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|\[::1\]|0\.0\.0\.0)/;

/**
 * Whether GitHub's deliveries reach this server: the App's webhook URL (as GitHub has it) against
 * WEBHOOK_PROXY_URL or PUBLIC_URL.
 */
async function checkWebhookUrl(octokit: Octokit, settings: Settings): Promise<Check> {
  const name = "webhook url";
  let url: string | undefined;
  try {
    const { data } = await octokit.request("GET /app/hook/config");
    url = data.url;
  } catch (error) {
    return {
      name,
      status: "warn",
      detail: `cannot read the App's webhook settings: ${(error as Error).message}`,
      fix: "check the App's webhook URL in its settings on GitHub",
    };
  }
  const expected = settings.github.registeredWebhookUrl;
  if (!url) {
    return {
      name,
      status: "fail",
      detail: "the App has no webhook URL: GitHub sends no events",
      fix: `set the App's webhook URL to ${expected ?? "this server's public address + WEBHOOK_PATH"} and make it active`,
    };
  }
  if (expected !== undefined && url !== expected) {
    return {
      name,
      status: "fail",
      detail: `GitHub delivers to ${url}, not to ${expected}`,
      fix: settings.github.webhookProxyUrl
        ? `set the App's webhook URL to ${expected}, or WEBHOOK_PROXY_URL to ${url}`
        : `set the App's webhook URL to ${expected}, or PUBLIC_URL to where ${url} leads`,
    };
  }
  if (expected === undefined && UNREACHABLE_HOST.test(new URL(url).host)) {
    return {
      name,
      status: "fail",
      detail: `GitHub delivers to ${url}, which it cannot reach`,
      fix: "set WEBHOOK_PROXY_URL to a smee.io channel, or PUBLIC_URL to this server's public address, and make that the App's webhook URL (docs/webhooks.md)",
    };
  }
  return { name, status: "ok", detail: `GitHub delivers to ${url}` };
}

async function checkApp(settings: Settings): Promise<Check[]> {
  const { appId, privateKey, webhookSecret, baseUrl } = settings.github;
  if (appId === undefined || privateKey === undefined) {
    return [
      {
        name: "github app",
        status: "warn",
        detail: "APP_ID and PRIVATE_KEY are not set",
        fix: "run loopwright serve and register the App on its setup page (it writes .env)",
      },
    ];
  }
  const checks: Check[] = [];
  try {
    const { data } = await octokitFor(appId, privateKey, baseUrl).rest.apps.getAuthenticated();
    checks.push({
      name: "github app",
      status: "ok",
      detail: `App ${appId} is ${data?.slug ?? data?.name ?? "registered"}`,
    });
  } catch (error) {
    const status = (error as { status?: number }).status;
    checks.push({
      name: "github app",
      status: "fail",
      detail: `App ${appId} at ${baseUrl}: ${status ? `status ${status}, ` : ""}${(error as Error).message}`,
      fix:
        status === 401
          ? "PRIVATE_KEY does not belong to APP_ID: download a new private key from the App's settings"
          : "check GHE_HOST and the network to GitHub",
    });
  }
  checks.push(await checkWebhookUrl(octokitFor(appId, privateKey, baseUrl), settings));
  if (!webhookSecret) {
    checks.push({
      name: "webhook secret",
      status: "warn",
      detail: "WEBHOOK_SECRET is not set",
      fix: "set WEBHOOK_SECRET to the App's webhook secret (required in production)",
    });
  }
  checks.push(
    settings.web.clientId
      ? {
          name: "dashboard sign-in",
          status: "ok",
          detail: "GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET are set",
        }
      : {
          name: "dashboard sign-in",
          status: "warn",
          detail: "GITHUB_CLIENT_ID is not set: /dashboard is off",
          fix: "copy the App's client ID and a client secret into GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (docs/dashboard.md)",
        },
  );
  return checks;
}

/**
 * Every check `loopwright doctor` makes, in order.
 *
 * @example
 * for (const check of await diagnose(loadSettings())) console.log(check.name, check.status);
 */
export async function diagnose(settings: Settings): Promise<Check[]> {
  return [
    checkNode(),
    await checkGit(),
    ...(await checkSandbox(settings)),
    await checkDatabase(settings),
    await checkModel(settings),
    ...(await checkApp(settings)),
  ];
}
