import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { rememberSecret } from "../redact.ts";
import { SettingsError } from "./settings-error.ts";

/** Variables whose values must never appear in messages or logs. */
const SECRET_VARIABLES = new Set([
  "PRIVATE_KEY",
  "WEBHOOK_SECRET",
  "OPENAI_API_KEY",
  "GITHUB_CLIENT_SECRET",
  "LOOPWRIGHT_METRICS_TOKEN",
]);

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value));

const integerInRange = (min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === "") return fallback;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
        ctx.addIssue({ code: "custom", message: `expected a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return parsed;
    });

const postgresUrl = optionalString.refine(
  (value) => value === undefined || /^postgres(ql)?:\/\/.+/.test(value),
  "expected a PostgreSQL connection URL such as postgres://user@host:5432/db",
);

const httpUrl = optionalString.refine(
  (value) => value === undefined || (URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)),
  "expected an http(s) URL such as http://localhost:8000/v1",
);

/** An origin people and GitHub reach: scheme, host and port only, since every route is served from the root. */
const publicOrigin = optionalString.refine(
  (value) =>
    value === undefined ||
    (URL.canParse(value) &&
      /^https?:$/.test(new URL(value).protocol) &&
      new URL(value).pathname === "/" &&
      new URL(value).search === "" &&
      new URL(value).hash === ""),
  "expected the http(s) address where GitHub and people reach this server, without a path, such as https://loopwright.example.com",
);

const webhookProxyUrl = optionalString.refine(
  (value) => value === undefined || (URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)),
  "expected the URL of a webhook proxy channel, such as https://smee.io/AbCdEf123456",
);

const enumWithDefault = <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) =>
  optionalString.pipe(
    z
      .enum(values, { error: () => `expected one of ${values.join(", ")}` })
      .optional()
      .transform((value) => value ?? fallback),
  );

const environmentSchema = z.object({
  APP_ID: optionalString.pipe(
    z
      .string()
      .regex(/^[1-9]\d*$/, "expected the numeric GitHub App ID")
      .transform(Number)
      .optional(),
  ),
  PRIVATE_KEY: optionalString.refine(
    (value) => value === undefined || value.includes("-----BEGIN"),
    "expected a PEM private key (the text starting with -----BEGIN)",
  ),
  PRIVATE_KEY_PATH: optionalString,
  WEBHOOK_SECRET: optionalString,
  WEBHOOK_PATH: optionalString.transform((value) => value ?? "/api/github/webhooks"),
  GHE_HOST: optionalString,
  GHE_PROTOCOL: enumWithDefault(["https", "http"], "https"),
  HOST: optionalString.transform((value) => value ?? "localhost"),
  PORT: integerInRange(0, 65535, 3000),
  NODE_ENV: optionalString.transform((value) => value ?? "development"),
  LOG_LEVEL: enumWithDefault(["trace", "debug", "info", "warn", "error", "fatal", "silent"], "info"),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: httpUrl,
  DATABASE_URL: postgresUrl,
  DATABASE_READ_URL: postgresUrl,
  DATABASE_LISTEN_URL: optionalString.refine(
    (value) => value === undefined || value === "off" || /^postgres(ql)?:\/\/.+/.test(value),
    "expected a direct PostgreSQL connection URL to the primary, or off",
  ),
  LOOPWRIGHT_DATA_DIR: optionalString.transform((value) => path.resolve(value ?? ".loopwright")),
  LOOPWRIGHT_MODEL: optionalString.transform((value) => value ?? "gpt-5-codex"),
  LOOPWRIGHT_API: enumWithDefault(["responses", "chat"], "responses"),
  LOOPWRIGHT_REASONING_EFFORT: enumWithDefault(["minimal", "low", "medium", "high"], "medium"),
  LOOPWRIGHT_CONTEXT_WINDOW: integerInRange(0, 10_000_000, 0),
  LOOPWRIGHT_MODEL_TIMEOUT_SECONDS: integerInRange(1, 3600, 600),
  LOOPWRIGHT_GITHUB_TIMEOUT_SECONDS: integerInRange(1, 600, 30),
  LOOPWRIGHT_SANDBOX: enumWithDefault(["auto", "bwrap", "none"], "auto"),
  LOOPWRIGHT_WORKER_CONCURRENCY: integerInRange(1, 64, 2),
  LOOPWRIGHT_CACHE_MAX_MB: integerInRange(64, 1_048_576, 10_240),
  LOOPWRIGHT_DELIVERY_RETENTION_DAYS: integerInRange(1, 3650, 14),
  LOOPWRIGHT_REDELIVERY_LOOKBACK_HOURS: integerInRange(1, 72, 24),
  LOOPWRIGHT_MAINTENANCE_PER_INSTALLATION_PER_HOUR: integerInRange(1, 10_000, 20),
  LOOPWRIGHT_SCHEDULER_TICK_SECONDS: integerInRange(1, 3600, 15),
  GITHUB_CLIENT_ID: optionalString,
  GITHUB_CLIENT_SECRET: optionalString,
  LOOPWRIGHT_URL: httpUrl,
  PUBLIC_URL: publicOrigin,
  WEBHOOK_PROXY_URL: webhookProxyUrl,
  LOOPWRIGHT_ADMINS: optionalString,
  LOOPWRIGHT_METRICS_TOKEN: optionalString,
});

/** The process settings, parsed and validated once at startup. */
export type Settings = {
  /** GitHub App credentials; absent until the App is registered through Probot's setup page. */
  github: {
    appId: number | undefined;
    privateKey: string | undefined;
    webhookSecret: string | undefined;
    webhookPath: string;
    /** REST API root: https://api.github.com, or the GitHub Enterprise Server's /api/v3. */
    baseUrl: string;
    /** A webhook proxy channel (smee.io) that `serve` forwards deliveries from (WEBHOOK_PROXY_URL). */
    webhookProxyUrl: string | undefined;
    /**
     * The webhook URL the setup page registers: WEBHOOK_PROXY_URL, else PUBLIC_URL + WEBHOOK_PATH;
     * undefined when neither is set (the setup page then opens a new smee.io channel, as Probot does).
     */
    registeredWebhookUrl: string | undefined;
    /** How long one attempt of a GitHub API request may take before it is retried or fails. */
    requestTimeoutMs: number;
  };
  server: { host: string; port: number };
  nodeEnv: string;
  logLevel: "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
  model: {
    apiKey: string | undefined;
    baseUrl: string | undefined;
    name: string;
    api: "responses" | "chat";
    reasoningEffort: "minimal" | "low" | "medium" | "high";
    /** Overrides the model's known context window (tokens), e.g. for a local model; undefined: known value. */
    contextWindow: number | undefined;
    /** How long one model request may take (a hung answer ends the task with a timeout, not a hang). */
    timeoutMs: number;
  };
  database: {
    url: string | undefined;
    readUrl: string | undefined;
    /**
     * The queue's LISTEN connection: a direct (session) connection to the primary when DATABASE_URL
     * goes through a transaction-mode pooler; false: no LISTEN, workers poll; undefined: DATABASE_URL.
     */
    listenUrl: string | false | undefined;
  };
  dataDir: string;
  sandbox: "auto" | "bwrap" | "none";
  workerConcurrency: number;
  cacheMaxMegabytes: number;
  /** The webhook inbox: how long deliveries are kept, and how far back missed ones are asked for again. */
  inbox: { retentionDays: number; redeliveryLookbackHours: number };
  /**
   * Scheduled maintenance: how often each process looks for due schedules, and how many runs one
   * installation's schedules may start in an hour (more are skipped with the reason on the dashboard).
   */
  maintenance: { tickSeconds: number; perInstallationPerHour: number };
  /** The dashboard: "Sign in with GitHub" through the App's OAuth credentials, who sees everything. */
  web: {
    clientId: string | undefined;
    clientSecret: string | undefined;
    /** Where GitHub and people reach this server (PUBLIC_URL: OAuth callback, links); default http://localhost:PORT. */
    publicUrl: string;
    /** Where the CLI on this machine reaches a running `serve` (LOOPWRIGHT_URL); default http://localhost:PORT. */
    localUrl: string;
    /** GitHub logins that see and stop every task. */
    admins: string[];
    /** When set, /metrics asks for `Authorization: Bearer <token>`. */
    metricsToken: string | undefined;
    /** The web origin of GitHub (OAuth pages): https://github.com or the GitHub Enterprise Server. */
    githubUrl: string;
  };
};

export { SettingsError };

function describeReceived(variable: string, value: string | undefined): string {
  if (value === undefined) return "it is not set";
  if (SECRET_VARIABLES.has(variable)) return "the value is hidden";
  const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return `got ${JSON.stringify(shown)}`;
}

function readPrivateKey(data: z.infer<typeof environmentSchema>, problems: string[]): string | undefined {
  if (data.PRIVATE_KEY) return data.PRIVATE_KEY.replace(/\\n/g, "\n");
  if (!data.PRIVATE_KEY_PATH) return undefined;
  try {
    const key = readFileSync(data.PRIVATE_KEY_PATH, "utf8");
    if (key.includes("-----BEGIN")) return key;
    problems.push(`Invalid setting PRIVATE_KEY_PATH: ${data.PRIVATE_KEY_PATH} is not a PEM private key file`);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    problems.push(`Invalid setting PRIVATE_KEY_PATH: cannot read ${data.PRIVATE_KEY_PATH} (${reason})`);
  }
  return undefined;
}

/**
 * Parses every environment setting Loopwright reads, in one place.
 *
 * @example
 * const settings = loadSettings({ PORT: "8080", DATABASE_URL: "postgres://db/loopwright" });
 * settings.server.port; // 8080
 * @throws SettingsError naming each bad variable and what it expects (secret values are never shown)
 */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const result = environmentSchema.safeParse(env);
  if (!result.success) {
    throw new SettingsError(
      result.error.issues.map((issue) => {
        const variable = String(issue.path[0]);
        return `Invalid setting ${variable}: ${issue.message} (${describeReceived(variable, env[variable])})`;
      }),
    );
  }
  const data = result.data;
  const problems: string[] = [];
  const privateKey = readPrivateKey(data, problems);
  const production = data.NODE_ENV === "production";
  if (data.APP_ID !== undefined && privateKey === undefined && problems.length === 0) {
    problems.push(
      "Invalid setting PRIVATE_KEY: APP_ID is set, so PRIVATE_KEY or PRIVATE_KEY_PATH is required",
    );
  }
  if (production && data.APP_ID !== undefined && data.WEBHOOK_SECRET === undefined) {
    problems.push(
      "Invalid setting WEBHOOK_SECRET: required in production so webhook signatures can be checked",
    );
  }
  if (data.DATABASE_READ_URL !== undefined && data.DATABASE_URL === undefined) {
    problems.push(
      "Invalid setting DATABASE_READ_URL: a read replica needs DATABASE_URL (the primary) as well",
    );
  }
  if (data.DATABASE_LISTEN_URL !== undefined && data.DATABASE_URL === undefined) {
    problems.push(
      "Invalid setting DATABASE_LISTEN_URL: the queue's direct connection needs DATABASE_URL (the primary) as well",
    );
  }
  if ((data.GITHUB_CLIENT_ID === undefined) !== (data.GITHUB_CLIENT_SECRET === undefined)) {
    problems.push(
      "Invalid setting GITHUB_CLIENT_SECRET: the dashboard's sign-in needs both GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (the App's OAuth credentials)",
    );
  }
  if (problems.length > 0) throw new SettingsError(problems);

  // Whatever this process writes (logs, step logs, GitHub) hides these values from now on.
  for (const secret of [
    privateKey,
    data.WEBHOOK_SECRET,
    data.OPENAI_API_KEY,
    data.GITHUB_CLIENT_SECRET,
    data.LOOPWRIGHT_METRICS_TOKEN,
  ])
    rememberSecret(secret);
  for (const url of [data.DATABASE_URL, data.DATABASE_READ_URL, data.DATABASE_LISTEN_URL])
    rememberSecret(urlPassword(url));
  const publicUrl = data.PUBLIC_URL === undefined ? undefined : new URL(data.PUBLIC_URL).origin;

  return {
    github: {
      appId: data.APP_ID,
      privateKey,
      webhookSecret: data.WEBHOOK_SECRET,
      webhookPath: data.WEBHOOK_PATH,
      baseUrl: data.GHE_HOST ? `${data.GHE_PROTOCOL}://${data.GHE_HOST}/api/v3` : "https://api.github.com",
      webhookProxyUrl: data.WEBHOOK_PROXY_URL,
      registeredWebhookUrl:
        data.WEBHOOK_PROXY_URL ?? (publicUrl === undefined ? undefined : `${publicUrl}${data.WEBHOOK_PATH}`),
      requestTimeoutMs: data.LOOPWRIGHT_GITHUB_TIMEOUT_SECONDS * 1000,
    },
    server: { host: data.HOST, port: data.PORT },
    nodeEnv: data.NODE_ENV,
    logLevel: data.LOG_LEVEL,
    model: {
      apiKey: data.OPENAI_API_KEY,
      baseUrl: data.OPENAI_BASE_URL,
      name: data.LOOPWRIGHT_MODEL,
      api: data.LOOPWRIGHT_API,
      reasoningEffort: data.LOOPWRIGHT_REASONING_EFFORT,
      contextWindow: data.LOOPWRIGHT_CONTEXT_WINDOW === 0 ? undefined : data.LOOPWRIGHT_CONTEXT_WINDOW,
      timeoutMs: data.LOOPWRIGHT_MODEL_TIMEOUT_SECONDS * 1000,
    },
    database: {
      url: data.DATABASE_URL,
      readUrl: data.DATABASE_READ_URL,
      listenUrl: data.DATABASE_LISTEN_URL === "off" ? false : data.DATABASE_LISTEN_URL,
    },
    dataDir: data.LOOPWRIGHT_DATA_DIR,
    sandbox: data.LOOPWRIGHT_SANDBOX,
    workerConcurrency: data.LOOPWRIGHT_WORKER_CONCURRENCY,
    cacheMaxMegabytes: data.LOOPWRIGHT_CACHE_MAX_MB,
    maintenance: {
      tickSeconds: data.LOOPWRIGHT_SCHEDULER_TICK_SECONDS,
      perInstallationPerHour: data.LOOPWRIGHT_MAINTENANCE_PER_INSTALLATION_PER_HOUR,
    },
    inbox: {
      retentionDays: data.LOOPWRIGHT_DELIVERY_RETENTION_DAYS,
      redeliveryLookbackHours: data.LOOPWRIGHT_REDELIVERY_LOOKBACK_HOURS,
    },
    web: {
      clientId: data.GITHUB_CLIENT_ID,
      clientSecret: data.GITHUB_CLIENT_SECRET,
      publicUrl: publicUrl ?? `http://localhost:${data.PORT}`,
      localUrl: (data.LOOPWRIGHT_URL ?? `http://localhost:${data.PORT}`).replace(/\/+$/, ""),
      admins: (data.LOOPWRIGHT_ADMINS ?? "")
        .split(",")
        .map((login) => login.trim())
        .filter((login) => login !== ""),
      metricsToken: data.LOOPWRIGHT_METRICS_TOKEN,
      githubUrl: data.GHE_HOST ? `${data.GHE_PROTOCOL}://${data.GHE_HOST}` : "https://github.com",
    },
  };
}

function urlPassword(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}
