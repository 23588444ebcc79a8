import { CronExpressionParser } from "cron-parser";
import { z } from "zod";

/** Where the per-repository file lives, as Probot's `context.config` expects it (relative to `.github/`). */
export const REPO_CONFIG_FILE = "loopwright.yml";

const whole = (min: number, max: number) =>
  z
    .number({ error: `expected a whole number from ${min} to ${max}` })
    .int({ error: `expected a whole number from ${min} to ${max}` })
    .min(min, { error: `expected a whole number from ${min} to ${max}` })
    .max(max, { error: `expected a whole number from ${min} to ${max}` });

const wholeNumber = (min: number, max: number, fallback: number) => whole(min, max).default(fallback);

const flag = (fallback: boolean) => z.boolean({ error: "expected true or false" }).default(fallback);

/** `git check-ref-format` rules that matter for a prefix we append `issue-<n>-<slug>` to. */
function branchPrefixProblem(prefix: string): string | undefined {
  if (prefix === "" || prefix === "/") return "expected a non-empty prefix such as agent/";
  if (!prefix.endsWith("/")) return "expected a prefix ending with / such as agent/";
  if (prefix.startsWith("/") || prefix.startsWith("-")) return "must not start with / or -";
  if (prefix.includes("..") || prefix.includes("//") || prefix.includes("@{")) {
    return "must not contain .., // or @{";
  }
  if (/[\s~^:?*[\\\x00-\x1f\x7f]/.test(prefix)) return "must not contain spaces or any of ~ ^ : ? * [ \\";
  if (prefix.split("/").some((part) => part.startsWith(".") || part.endsWith(".lock"))) {
    return "no part may start with . or end with .lock";
  }
  return undefined;
}

/** Variables the sandbox itself controls, or that would point git or the loader outside the workspace. */
const RESERVED_ENV = /^(PATH|HOME|TMPDIR|PWD|SHELL|USER|BASH_ENV|ENV|LD_.*|GIT_.*|NODE_OPTIONS)$/;

const envValue = z.union([z.string(), z.number(), z.boolean()], {
  error: "expected a plain value (text, number or true/false)",
});

const envSchema = z
  .record(
    z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected variable names made of letters, digits and _" })
      .refine((name) => !RESERVED_ENV.test(name), {
        error: "is set by the sandbox itself and cannot be overridden",
      }),
    envValue.transform(String),
    { error: "expected a mapping of variable names to values" },
  )
  .default({});

const HOST_EXAMPLE = "such as registry.npmjs.org or *.pythonhosted.org";
const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * What is wrong with a `sandbox.allowed_hosts` entry: it must be a bare host name, or `*.` and a domain
 * of at least two labels (so `*.com` cannot open a whole top-level domain).
 */
function allowedHostProblem(entry: string): string | undefined {
  if (entry.includes("://")) return `expected a host name without a scheme, ${HOST_EXAMPLE}`;
  if (entry.includes("/")) return `expected a host name without a path, ${HOST_EXAMPLE}`;
  if (entry.includes(":") || entry.includes("["))
    return `expected a host name without a port, ${HOST_EXAMPLE}`;
  if (entry === "*")
    return "expected a host name; * alone would allow every host (sandbox.network: true does that)";
  const wildcard = entry.startsWith("*.");
  const host = wildcard ? entry.slice(2) : entry;
  if (host.includes("*")) return `expected * only as a whole first label, ${HOST_EXAMPLE}`;
  const labels = host.split(".");
  if (host.length > 253 || !labels.every((label) => HOST_LABEL.test(label))) {
    return `expected a host name made of letters, digits, - and dots, ${HOST_EXAMPLE}`;
  }
  if (wildcard && labels.length < 2) return "expected a wildcard over a domain, such as *.example.com";
  return undefined;
}

const allowedHostsSchema = z
  .array(
    z
      .string({ error: `expected a host name ${HOST_EXAMPLE}` })
      .trim()
      .toLowerCase()
      .superRefine((value, ctx) => {
        const problem = allowedHostProblem(value);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
    { error: `expected a list of host names ${HOST_EXAMPLE}` },
  )
  .max(100, { error: "expected at most 100 hosts" })
  .default([]);

/** Five cron fields (minute hour day month weekday) or one of cron-parser's @ aliases. */
function cronProblem(expression: string): string | undefined {
  const trimmed = expression.trim();
  if (!trimmed.startsWith("@") && trimmed.split(/\s+/).length !== 5) {
    return 'expected five cron fields (minute hour day month weekday), such as "0 4 * * 1"';
  }
  try {
    CronExpressionParser.parse(trimmed);
    return undefined;
  } catch (error) {
    return `not a valid cron expression (${(error as Error).message})`;
  }
}

/** Whether the runtime knows an IANA time zone name (Europe/Berlin, America/New_York, UTC). */
function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const customCheck =
  (problemOf: (value: string) => string | undefined) => (value: string, ctx: z.RefinementCtx) => {
    const problem = problemOf(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  };

/** A schedule's own branch: a plain branch name; the `fix.branch_prefix` is added unless it already has it. */
function scheduleBranchProblem(branch: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/.test(branch) || branch.endsWith("/")) {
    return "expected a branch name made of letters, digits, . _ - and /, such as agent/maintain-deps";
  }
  return branchPrefixProblem(`${branch}/`);
}

const SCHEDULE_KEYS = "name, cron (or every) and prompt";

const scheduleSchema = z
  .strictObject(
    {
      name: z
        .string({ error: "expected a short name made of letters, digits, . _ -" })
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
          error: "expected a short name made of letters, digits, . _ - (at most 64)",
        }),
      cron: z
        .string({ error: 'expected a cron expression such as "0 4 * * 1"' })
        .superRefine(customCheck(cronProblem))
        .optional(),
      /** Instead of `cron`: once a day or a week, at a time spread per repository and schedule. */
      every: z.enum(["daily", "weekly"], { error: "expected daily or weekly" }).optional(),
      timezone: z
        .string({ error: "expected an IANA time zone name such as Europe/Berlin" })
        .refine(isTimeZone, { error: "expected an IANA time zone name such as Europe/Berlin or UTC" })
        .optional(),
      prompt: z
        .string({ error: "expected the task description as text" })
        .trim()
        .min(1, { error: "expected the task description as text" })
        .max(20_000, { error: "expected at most 20000 characters" }),
      branch: z
        .string({ error: "expected a branch name such as agent/maintain-deps" })
        .superRefine(customCheck(scheduleBranchProblem))
        .optional(),
      labels: z
        .array(z.string().trim().min(1).max(50), { error: "expected a list of label names" })
        .max(10, { error: "expected at most 10 labels" })
        .optional(),
      reviewers: z
        .array(
          z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, { error: "expected GitHub user names" }),
          { error: "expected a list of GitHub user names" },
        )
        .max(10, { error: "expected at most 10 reviewers" })
        .optional(),
      network: z.boolean({ error: "expected true or false" }).optional(),
      setup: z
        .string({ error: "expected a shell command such as npm ci" })
        .trim()
        .max(2000, { error: "expected at most 2000 characters" })
        .nullable()
        .optional(),
      budget: z
        .strictObject(
          {
            max_steps: whole(1, 1000).optional(),
            max_tokens: whole(1000, 1_000_000_000).optional(),
          },
          { error: "expected a mapping with max_steps and/or max_tokens" },
        )
        .optional(),
      enabled: z.boolean({ error: "expected true or false" }).optional(),
    },
    { error: `expected a mapping with ${SCHEDULE_KEYS}` },
  )
  .superRefine((schedule, ctx) => {
    if ((schedule.cron === undefined) === (schedule.every === undefined)) {
      ctx.addIssue({
        code: "custom",
        message: 'expected either cron (such as "0 4 * * 1") or every (daily or weekly), not both or neither',
      });
    }
  });

/** One entry of `schedules:` as validated; unset keys take their defaults when the schedule runs. */
export type ScheduleConfig = z.output<typeof scheduleSchema>;

/** A list of short names or globs of at most 200 characters (label names may hold spaces, the rest not). */
const nameList = (what: string, max: number, spaces = false) =>
  z
    .array(
      z
        .string({ error: `expected ${what}` })
        .trim()
        .min(1, { error: `expected ${what}` })
        .max(200, { error: "expected at most 200 characters" })
        .regex(spaces ? /^[^\n]+$/ : /^\S+$/, { error: `expected ${what}, one per entry` }),
      { error: `expected a list of ${what}` },
    )
    .max(max, { error: `expected at most ${max} entries` })
    .default([]);

/** A section whose keys all have defaults, so a missing section parses as `{}`. */
const section = <T extends z.core.$ZodLooseShape>(shape: T) => {
  const object = z.strictObject(shape, { error: "expected a mapping" });
  return object.prefault({} as z.input<typeof object>);
};

const repoConfigSchema = z.strictObject(
  {
    fix: section({
      command: z
        .string({ error: "expected a command word starting with /, such as /agent" })
        .regex(/^\/[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, {
          error: "expected a command word starting with /, such as /agent",
        })
        .default("/agent"),
      label: z
        .string({ error: "expected a label name" })
        .trim()
        .min(1, { error: "expected a label name" })
        .max(50, { error: "expected a label name of at most 50 characters" })
        .default("agent:fix"),
      draft: flag(true),
      branch_prefix: z
        .string({ error: "expected a branch prefix such as agent/" })
        .superRefine((value, ctx) => {
          const problem = branchPrefixProblem(value);
          if (problem) ctx.addIssue({ code: "custom", message: problem });
        })
        .default("agent/"),
    }),
    review: section({
      auto: flag(true),
      drafts: flag(false),
      max_comments: wholeNumber(0, 100, 10),
      /** Base branches whose pull requests are reviewed automatically (globs); empty: every base. */
      base_branches: nameList("branch globs such as main or release/*", 50),
      /** Paths the review leaves out (globs), listed in the summary as skipped. */
      ignore: nameList("path globs such as docs/** or *.snap", 100),
      skip_labels: nameList("label names", 50, true),
      skip_authors: nameList("GitHub user names", 100),
      /** Bot authors whose pull requests are reviewed (every other bot's are skipped). */
      bots: nameList("bot user names such as dependabot[bot]", 50),
      /** Review Loopwright's own pull requests too. */
      own_pulls: flag(true),
      /** Findings below this priority go to the summary only, never inline. */
      min_inline_priority: z
        .enum(["P0", "P1", "P2", "P3"], { error: "expected one of P0, P1, P2, P3" })
        .default("P1"),
      /** The lowest finding priority that makes the check run fail; none: the check is always neutral or success. */
      fail_on: z.enum(["none", "P0", "P1"], { error: "expected one of none, P0, P1" }).default("none"),
      instructions: z
        .string({ error: "expected review guidance as text" })
        .trim()
        .max(8_000, { error: "expected at most 8000 characters" })
        .nullable()
        .transform((value) => (value === "" ? null : value))
        .default(null),
      /** Tokens one review may spend (the task also stays within budget.max_tokens). */
      max_tokens: wholeNumber(1000, 1_000_000_000, 1_000_000),
    }),
    sandbox: section({
      network: flag(false),
      setup: z
        .string({ error: "expected a shell command such as npm ci" })
        .trim()
        .max(2000, { error: "expected at most 2000 characters" })
        .nullable()
        .transform((value) => (value === "" ? null : value))
        .default(null),
      timeout_minutes: wholeNumber(1, 360, 30),
      env: envSchema,
      allowed_hosts: allowedHostsSchema,
    }),
    budget: section({
      max_steps: wholeNumber(1, 1000, 60),
      max_tokens: wholeNumber(1000, 1_000_000_000, 2_000_000),
      daily_tokens: wholeNumber(1000, 100_000_000_000, 20_000_000),
      disk_mb: wholeNumber(64, 1_048_576, 4096),
      file_mb: wholeNumber(1, 65_536, 512),
    }),
    limits: section({
      per_requester_per_hour: wholeNumber(1, 1000, 10),
      per_repository_per_hour: wholeNumber(1, 1000, 30),
      per_requester_active: wholeNumber(1, 100, 3),
    }),
    model: section({
      name: z
        .string({ error: "expected a model name" })
        .trim()
        .min(1, { error: "expected a model name" })
        .max(200)
        .nullable()
        .default(null),
      reasoning_effort: z
        .enum(["minimal", "low", "medium", "high"], { error: "expected one of minimal, low, medium, high" })
        .nullable()
        .default(null),
    }),
    /** `loopwright eval`: how the repository's tests run (`{file}` runs one test file at a time). */
    eval: section({
      test_command: z
        .string({ error: "expected a shell command such as npm test" })
        .trim()
        .max(2000, { error: "expected at most 2000 characters" })
        .nullable()
        .transform((value) => (value === "" ? null : value))
        .default(null),
    }),
    /** Scheduled maintenance: caps that keep it from flooding the repository with pull requests. */
    maintenance: section({
      max_open_prs: wholeNumber(0, 50, 3),
      /** Consecutive runs whose pull requests were closed unmerged before a schedule pauses (0: never). */
      pause_after: wholeNumber(0, 100, 4),
      dashboard: flag(true),
    }),
    schedules: z
      .array(scheduleSchema, { error: "expected a list of schedules" })
      .max(20, { error: "expected at most 20 schedules" })
      .default([]),
  },
  { error: "expected a mapping of sections (fix, review, sandbox, budget, limits, model, schedules)" },
);

/**
 * The validated `.github/loopwright.yml`. `sandbox.setup`, `model.name` and `model.reasoning_effort`
 * are null when the file leaves them to the server's own settings; an empty `sandbox.allowed_hosts`
 * means the package registries of the ecosystems detected in the repository.
 */
export type RepoConfig = z.output<typeof repoConfigSchema>;

/** The configuration of a repository without a `.github/loopwright.yml`. */
export const DEFAULT_REPO_CONFIG: RepoConfig = repoConfigSchema.parse({});

export type ParsedRepoConfig = { config: RepoConfig; problems: string[] };

type Path = PropertyKey[];

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  const shown = JSON.stringify(value) ?? String(value);
  return shown.length > 60 ? `${shown.slice(0, 57)}...` : shown;
}

function valueAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/**
 * Where a problem's value is removed so the next parse falls back to its default: a bad key inside a
 * list entry removes that whole entry (half a schedule cannot run).
 */
function removalPath(path: Path): Path {
  const index = path.findIndex((key) => typeof key === "number");
  return index === -1 ? path : path.slice(0, index + 1);
}

function withoutPath(root: unknown, path: Path): unknown {
  const [head, ...rest] = path;
  if (head === undefined || root === null || typeof root !== "object") return root;
  if (Array.isArray(root)) {
    if (typeof head !== "number") return root;
    return rest.length === 0
      ? root.filter((_, index) => index !== head)
      : root.map((item, index) => (index === head ? withoutPath(item, rest) : item));
  }
  const copy: Record<PropertyKey, unknown> = { ...root };
  if (rest.length === 0) delete copy[head];
  else copy[head] = withoutPath(copy[head], rest);
  return copy;
}

function formatPath(path: Path): string {
  return path
    .map((key, index) => (typeof key === "number" ? `[${key}]` : `${index ? "." : ""}${String(key)}`))
    .join("");
}

/**
 * Validates a parsed `.github/loopwright.yml` (as Probot's `context.config` returns it). Bad keys are
 * reported and replaced by their defaults one by one, so the valid rest of the file still applies; an
 * unknown key is reported (usually a typo) and ignored.
 *
 * @example
 * const { config, problems } = parseRepoConfig({ budget: { max_steps: "lots" } });
 * config.budget.max_steps; // 60
 * problems; // ['budget.max_steps: expected a whole number from 1 to 1000, got "lots"']
 */
export function parseRepoConfig(raw: unknown, options: { defaultBranch?: string } = {}): ParsedRepoConfig {
  const problems: string[] = [];
  let input: unknown = raw ?? {};
  // Each round removes at least one offending value, so this ends; the cap guards against surprises.
  for (let round = 0; round < 100; round++) {
    const result = repoConfigSchema.safeParse(input);
    if (result.success) {
      const config = result.data;
      const prefixRoot = config.fix.branch_prefix.slice(0, -1);
      if (options.defaultBranch && prefixRoot === options.defaultBranch) {
        problems.push(
          `fix.branch_prefix: must not be the default branch (${options.defaultBranch}), got "${config.fix.branch_prefix}"`,
        );
        config.fix.branch_prefix = DEFAULT_REPO_CONFIG.fix.branch_prefix;
      }
      // Checked after parsing because earlier rounds may have removed entries and shifted indices.
      const seen = new Set<string>();
      config.schedules = config.schedules.filter((schedule) => {
        if (!seen.has(schedule.name)) return seen.add(schedule.name);
        problems.push(`schedules: two schedules are named "${schedule.name}"; only the first is used`);
        return false;
      });
      return { config, problems };
    }
    const removals = new Map<string, Path>();
    for (const issue of result.error.issues) {
      const paths =
        issue.code === "unrecognized_keys" ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
      for (const path of paths) {
        if (path.length === 0) {
          problems.push(`${issue.message}, got ${describeValue(input)}; using the defaults`);
          return { config: structuredClone(DEFAULT_REPO_CONFIG), problems };
        }
        const what =
          issue.code === "unrecognized_keys"
            ? "unknown key, ignored"
            : issue.code === "invalid_key"
              ? (issue.issues[0]?.message ?? issue.message)
              : `${issue.message}, got ${describeValue(valueAt(input, path))}`;
        problems.push(`${formatPath(path)}: ${what}`);
        const removal = removalPath(path);
        removals.set(JSON.stringify(removal), removal);
      }
    }
    // Latest first, so removing a list entry does not shift the indices of those still to remove.
    for (const removal of [...removals.values()].reverse()) input = withoutPath(input, removal);
  }
  problems.push("the file could not be read; using the defaults");
  return { config: structuredClone(DEFAULT_REPO_CONFIG), problems };
}
