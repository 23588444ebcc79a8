import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { DEFAULT_REPO_CONFIG, parseRepoConfig } from "../../src/config/repo-config.ts";

describe("parseRepoConfig", () => {
  it("gives the documented defaults for a missing or empty file", () => {
    for (const raw of [undefined, null, {}]) {
      const { config, problems } = parseRepoConfig(raw);
      expect(problems).toEqual([]);
      expect(config).toEqual(DEFAULT_REPO_CONFIG);
    }
    expect(DEFAULT_REPO_CONFIG).toEqual({
      fix: { command: "/agent", label: "agent:fix", draft: true, branch_prefix: "agent/" },
      review: {
        auto: true,
        drafts: false,
        max_comments: 10,
        base_branches: [],
        ignore: [],
        skip_labels: [],
        skip_authors: [],
        bots: [],
        own_pulls: true,
        min_inline_priority: "P1",
        fail_on: "none",
        instructions: null,
        max_tokens: 1_000_000,
      },
      sandbox: { network: false, setup: null, timeout_minutes: 30, env: {}, allowed_hosts: [] },
      budget: {
        max_steps: 60,
        max_tokens: 2_000_000,
        daily_tokens: 20_000_000,
        disk_mb: 4096,
        file_mb: 512,
      },
      limits: { per_requester_per_hour: 10, per_repository_per_hour: 30, per_requester_active: 3 },
      model: { name: null, reasoning_effort: null },
      eval: { test_command: null },
      maintenance: { max_open_prs: 3, pause_after: 4, dashboard: true },
      schedules: [],
    });
  });

  it("reads the review section's lists, priorities and guidance, reporting bad values", () => {
    const { config, problems } = parseRepoConfig({
      review: {
        base_branches: ["main", "release/*"],
        ignore: ["docs/**"],
        skip_labels: ["no review"],
        bots: ["dependabot[bot]"],
        min_inline_priority: "P2",
        fail_on: "P1",
        instructions: "  Flag SQL built from strings.  ",
      },
    });
    expect(problems).toEqual([]);
    expect(config.review).toMatchObject({
      base_branches: ["main", "release/*"],
      ignore: ["docs/**"],
      skip_labels: ["no review"],
      bots: ["dependabot[bot]"],
      min_inline_priority: "P2",
      fail_on: "P1",
      instructions: "Flag SQL built from strings.",
    });
    const bad = parseRepoConfig({
      review: { fail_on: "P2", min_inline_priority: "high", ignore: ["two words"], instructions: "" },
    });
    expect(bad.problems).toEqual([
      'review.ignore[0]: expected path globs such as docs/** or *.snap, one per entry, got "two words"',
      'review.min_inline_priority: expected one of P0, P1, P2, P3, got "high"',
      'review.fail_on: expected one of none, P0, P1, got "P2"',
    ]);
    expect(bad.config.review).toMatchObject({
      fail_on: "none",
      min_inline_priority: "P1",
      instructions: null,
    });
  });

  it("reads the eval section's test command, blank meaning none", () => {
    expect(parseRepoConfig({ eval: { test_command: " node --test {file} " } }).config.eval).toEqual({
      test_command: "node --test {file}",
    });
    expect(parseRepoConfig({ eval: { test_command: "" } }).config.eval.test_command).toBeNull();
  });

  it("reads the design's sample file", () => {
    const raw = parseYaml(`
fix:      { command: /agent, label: "agent:fix", draft: true, branch_prefix: agent/ }
review:   { auto: true, drafts: false, max_comments: 10 }
sandbox:  { network: false, setup: "npm ci", timeout_minutes: 30, env: { CI: true, LEVEL: 3 }, allowed_hosts: [registry.npmjs.org, "*.pythonhosted.org"] }
budget:   { max_steps: 60, max_tokens: 2000000, daily_tokens: 20000000, disk_mb: 4096, file_mb: 512 }
limits:   { per_requester_per_hour: 10, per_repository_per_hour: 30, per_requester_active: 3 }
model:    { name: gpt-5-codex, reasoning_effort: medium }
schedules:
  - name: deps
    cron: "0 4 * * 1"
    prompt: Update outdated dev dependencies, run the tests, fix what breaks.
`);
    const { config, problems } = parseRepoConfig(raw);
    expect(problems).toEqual([]);
    expect(config.sandbox).toEqual({
      network: false,
      setup: "npm ci",
      timeout_minutes: 30,
      env: { CI: "true", LEVEL: "3" },
      allowed_hosts: ["registry.npmjs.org", "*.pythonhosted.org"],
    });
    expect(config.budget).toMatchObject({ disk_mb: 4096, file_mb: 512 });
    expect(config.limits).toEqual(DEFAULT_REPO_CONFIG.limits);
    expect(config.model).toEqual({ name: "gpt-5-codex", reasoning_effort: "medium" });
    expect(config.schedules).toEqual([
      {
        name: "deps",
        cron: "0 4 * * 1",
        prompt: "Update outdated dev dependencies, run the tests, fix what breaks.",
      },
    ]);
  });

  it("defaults a bad key, keeps the valid ones and names the bad one", () => {
    const { config, problems } = parseRepoConfig({ budget: { max_steps: "lots", max_tokens: 5000 } });
    expect(config.budget).toEqual({ ...DEFAULT_REPO_CONFIG.budget, max_tokens: 5000 });
    expect(problems).toEqual(['budget.max_steps: expected a whole number from 1 to 1000, got "lots"']);
  });

  it.each([
    ["fix", "command", "agent", "expected a command word starting with /"],
    ["fix", "command", "/two words", "expected a command word starting with /"],
    ["fix", "label", "", "expected a label name"],
    ["fix", "label", "x".repeat(51), "at most 50 characters"],
    ["fix", "draft", "yes", "expected true or false"],
    ["fix", "branch_prefix", "", "non-empty"],
    ["fix", "branch_prefix", "agent", "ending with /"],
    ["fix", "branch_prefix", "a/../b/", "must not contain .."],
    ["fix", "branch_prefix", "/agent/", "must not start with"],
    ["fix", "branch_prefix", "my bot/", "must not contain spaces"],
    ["fix", "branch_prefix", "bot.lock/", ".lock"],
    ["fix", "branch_prefix", 7, "expected a branch prefix"],
    ["review", "auto", 1, "expected true or false"],
    ["review", "drafts", "no", "expected true or false"],
    ["review", "max_comments", 1.5, "whole number from 0 to 100"],
    ["review", "max_comments", 101, "whole number from 0 to 100"],
    ["sandbox", "network", "off", "expected true or false"],
    ["sandbox", "setup", ["npm", "ci"], "expected a shell command"],
    ["sandbox", "timeout_minutes", 0, "whole number from 1 to 360"],
    ["sandbox", "env", "A=1", "expected a mapping of variable names"],
    ["budget", "max_steps", 0, "whole number from 1 to 1000"],
    ["budget", "max_tokens", 10, "whole number from 1000"],
    ["budget", "daily_tokens", -1, "whole number from 1000"],
    ["budget", "disk_mb", 63, "whole number from 64 to 1048576"],
    ["budget", "disk_mb", 1_048_577, "whole number from 64 to 1048576"],
    ["budget", "disk_mb", "4G", "whole number from 64 to 1048576"],
    ["budget", "file_mb", 0, "whole number from 1 to 65536"],
    ["budget", "file_mb", 1.5, "whole number from 1 to 65536"],
    ["limits", "per_requester_per_hour", 0, "whole number from 1 to 1000"],
    ["limits", "per_requester_per_hour", "ten", "whole number from 1 to 1000"],
    ["limits", "per_repository_per_hour", 1001, "whole number from 1 to 1000"],
    ["limits", "per_requester_active", 0, "whole number from 1 to 100"],
    ["limits", "per_requester_active", 2.5, "whole number from 1 to 100"],
    ["sandbox", "allowed_hosts", "registry.npmjs.org", "expected a list of host names"],
    ["model", "name", "", "expected a model name"],
    ["model", "reasoning_effort", "max", "expected one of minimal, low, medium, high"],
  ])("%s.%s = %j is reported and defaulted", (sectionName, key, value, message) => {
    const { config, problems } = parseRepoConfig({ [sectionName]: { [key]: value } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`${sectionName}.${key}: `);
    expect(problems[0]).toContain(message);
    expect(config).toEqual(DEFAULT_REPO_CONFIG);
  });

  it("reads the limits and the disk budgets, and reports an unknown limit", () => {
    const { config, problems } = parseRepoConfig({
      limits: { per_requester_per_hour: 2, per_repository_per_hour: 5, per_requester_active: 1, per_day: 3 },
      budget: { disk_mb: 64, file_mb: 65_536 },
    });
    expect(config.limits).toEqual({
      per_requester_per_hour: 2,
      per_repository_per_hour: 5,
      per_requester_active: 1,
    });
    expect(config.budget).toMatchObject({ disk_mb: 64, file_mb: 65_536 });
    expect(problems).toEqual(["limits.per_day: unknown key, ignored"]);
    expect(parseRepoConfig({ limits: "none" }).problems).toEqual(['limits: expected a mapping, got "none"']);
  });

  it("keeps good allowed hosts, lower-cased, and drops each bad one with the reason", () => {
    const { config, problems } = parseRepoConfig({
      sandbox: {
        allowed_hosts: [
          "registry.npmjs.org",
          " Files.PythonHosted.org ",
          "*.crates.io",
          "localhost",
          "https://pypi.org",
          "pypi.org/simple",
          "proxy.golang.org:443",
          "*",
          "*.org",
          "a.*.org",
          "bad_host.org",
          "-dash.org",
          `${"a".repeat(64)}.org`,
          7,
        ],
      },
    });
    expect(config.sandbox.allowed_hosts).toEqual([
      "registry.npmjs.org",
      "files.pythonhosted.org",
      "*.crates.io",
      "localhost",
    ]);
    expect(problems).toEqual([
      'sandbox.allowed_hosts[4]: expected a host name without a scheme, such as registry.npmjs.org or *.pythonhosted.org, got "https://pypi.org"',
      'sandbox.allowed_hosts[5]: expected a host name without a path, such as registry.npmjs.org or *.pythonhosted.org, got "pypi.org/simple"',
      'sandbox.allowed_hosts[6]: expected a host name without a port, such as registry.npmjs.org or *.pythonhosted.org, got "proxy.golang.org:443"',
      'sandbox.allowed_hosts[7]: expected a host name; * alone would allow every host (sandbox.network: true does that), got "*"',
      'sandbox.allowed_hosts[8]: expected a wildcard over a domain, such as *.example.com, got "*.org"',
      'sandbox.allowed_hosts[9]: expected * only as a whole first label, such as registry.npmjs.org or *.pythonhosted.org, got "a.*.org"',
      'sandbox.allowed_hosts[10]: expected a host name made of letters, digits, - and dots, such as registry.npmjs.org or *.pythonhosted.org, got "bad_host.org"',
      'sandbox.allowed_hosts[11]: expected a host name made of letters, digits, - and dots, such as registry.npmjs.org or *.pythonhosted.org, got "-dash.org"',
      `sandbox.allowed_hosts[12]: expected a host name made of letters, digits, - and dots, such as registry.npmjs.org or *.pythonhosted.org, got "${"a".repeat(56)}...`,
      "sandbox.allowed_hosts[13]: expected a host name such as registry.npmjs.org or *.pythonhosted.org, got 7",
    ]);
  });

  it("allows at most 100 hosts", () => {
    const hosts = Array.from({ length: 101 }, (_, i) => `h${i}.example.com`);
    const { config, problems } = parseRepoConfig({ sandbox: { allowed_hosts: hosts } });
    expect(config.sandbox.allowed_hosts).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^sandbox\.allowed_hosts: expected at most 100 hosts/);
    expect(parseRepoConfig({ sandbox: { allowed_hosts: hosts.slice(0, 100) } }).problems).toEqual([]);
  });

  it("treats an empty setup command as none", () => {
    expect(parseRepoConfig({ sandbox: { setup: "  " } }).config.sandbox.setup).toBeNull();
  });

  it("keeps good environment variables and drops reserved or malformed names", () => {
    const { config, problems } = parseRepoConfig({
      sandbox: { env: { GOOD: "1", PATH: "/evil", GIT_DIR: "/x", "bad name": "2", OBJ: { a: 1 } } },
    });
    expect(config.sandbox.env).toEqual({ GOOD: "1" });
    expect(problems).toHaveLength(4);
    expect(problems.join("\n")).toContain("sandbox.env.PATH: is set by the sandbox itself");
    expect(problems.join("\n")).toContain("sandbox.env.bad name: expected variable names made of letters");
    expect(problems.join("\n")).toContain("sandbox.env.OBJ: expected a plain value");
  });

  it("refuses a branch prefix naming the default branch", () => {
    const { config, problems } = parseRepoConfig(
      { fix: { branch_prefix: "main/" } },
      { defaultBranch: "main" },
    );
    expect(config.fix.branch_prefix).toBe("agent/");
    expect(problems).toEqual(['fix.branch_prefix: must not be the default branch (main), got "main/"']);
    expect(
      parseRepoConfig({ fix: { branch_prefix: "bots/fix/" } }, { defaultBranch: "main" }).problems,
    ).toEqual([]);
  });

  it("drops only the broken schedules", () => {
    const { config, problems } = parseRepoConfig({
      schedules: [
        { name: "a", cron: "61 * * * *", prompt: "x" },
        { name: "b", cron: "0 4 * * 1", prompt: "keep me" },
        { name: "c", cron: "* * *", prompt: "" },
        { name: "b", cron: "@daily", prompt: "dup" },
        { name: "d", cron: "@weekly", prompt: "y", extra: 1 },
        "not a mapping",
      ],
    });
    expect(config.schedules).toEqual([{ name: "b", cron: "0 4 * * 1", prompt: "keep me" }]);
    expect(problems).toEqual([
      'schedules[0].cron: not a valid cron expression (Constraint error, got value 61 expected range 0-59), got "61 * * * *"',
      'schedules[2].cron: expected five cron fields (minute hour day month weekday), such as "0 4 * * 1", got "* * *"',
      'schedules[2].prompt: expected the task description as text, got ""',
      "schedules[4].extra: unknown key, ignored",
      'schedules[5]: expected a mapping with name, cron (or every) and prompt, got "not a mapping"',
      'schedules: two schedules are named "b"; only the first is used',
    ]);
  });

  it("rejects a bad schedule name and too many schedules", () => {
    expect(
      parseRepoConfig({ schedules: [{ name: "a b", cron: "@daily", prompt: "x" }] }).problems[0],
    ).toContain("schedules[0].name: expected a short name");
    const many = Array.from({ length: 21 }, (_, i) => ({ name: `s${i}`, cron: "@daily", prompt: "x" }));
    const { config, problems } = parseRepoConfig({ schedules: many });
    expect(config.schedules).toEqual([]);
    expect(problems[0]).toMatch(/^schedules: expected at most 20 schedules/);
    expect(parseRepoConfig({ schedules: "daily" }).problems[0]).toBe(
      'schedules: expected a list of schedules, got "daily"',
    );
  });

  it("reads a schedule's every, time zone, branch and overrides", () => {
    const raw = parseYaml(`
maintenance: { max_open_prs: 1, pause_after: 0, dashboard: false }
schedules:
  - name: deps
    every: weekly
    timezone: Europe/Berlin
    prompt: Update dependencies.
    branch: agent/deps-updates
    labels: [dependencies]
    reviewers: [ann]
    network: true
    setup: npm ci
    budget: { max_steps: 20 }
    enabled: false
`);
    const { config, problems } = parseRepoConfig(raw);
    expect(problems).toEqual([]);
    expect(config.maintenance).toEqual({ max_open_prs: 1, pause_after: 0, dashboard: false });
    expect(config.schedules).toEqual([
      {
        name: "deps",
        every: "weekly",
        timezone: "Europe/Berlin",
        prompt: "Update dependencies.",
        branch: "agent/deps-updates",
        labels: ["dependencies"],
        reviewers: ["ann"],
        network: true,
        setup: "npm ci",
        budget: { max_steps: 20 },
        enabled: false,
      },
    ]);
  });

  it("names what is wrong with a schedule and drops only that schedule", () => {
    const { config, problems } = parseRepoConfig({
      schedules: [
        { name: "both", cron: "@daily", every: "daily", prompt: "x" },
        { name: "neither", prompt: "x" },
        { name: "zone", cron: "@daily", timezone: "Mars/Olympus", prompt: "x" },
        { name: "often", every: "hourly", prompt: "x" },
        { name: "branch", cron: "@daily", branch: "agent/../x", prompt: "x" },
        { name: "budget", cron: "@daily", budget: { max_steps: 0 }, prompt: "x" },
        { name: "ok", every: "daily", prompt: "keep" },
      ],
      maintenance: { max_open_prs: -1 },
    });
    expect(config.schedules).toEqual([{ name: "ok", every: "daily", prompt: "keep" }]);
    expect(config.maintenance.max_open_prs).toBe(3);
    expect(problems).toEqual([
      "maintenance.max_open_prs: expected a whole number from 0 to 50, got -1",
      'schedules[0]: expected either cron (such as "0 4 * * 1") or every (daily or weekly), not both or neither, got ' +
        '{"name":"both","cron":"@daily","every":"daily","prompt":"x"}',
      'schedules[1]: expected either cron (such as "0 4 * * 1") or every (daily or weekly), not both or neither, got {"name":"neither","prompt":"x"}',
      'schedules[2].timezone: expected an IANA time zone name such as Europe/Berlin or UTC, got "Mars/Olympus"',
      'schedules[3].every: expected daily or weekly, got "hourly"',
      'schedules[4].branch: must not contain .., // or @{, got "agent/../x"',
      "schedules[5].budget.max_steps: expected a whole number from 1 to 1000, got 0",
    ]);
  });

  it("reports unknown keys and non-mapping sections", () => {
    const { config, problems } = parseRepoConfig({
      fixx: {},
      review: "yes",
      fix: { drft: false, draft: false },
    });
    expect(config.fix.draft).toBe(false);
    expect(config.review).toEqual(DEFAULT_REPO_CONFIG.review);
    expect(problems).toEqual(
      [
        "fixx: unknown key, ignored",
        "fix.drft: unknown key, ignored",
        'review: expected a mapping, got "yes"',
      ].sort((a, b) => problems.indexOf(a) - problems.indexOf(b)),
    );
    expect(problems).toHaveLength(3);
  });

  it("falls back to all defaults when the file is not a mapping", () => {
    const { config, problems } = parseRepoConfig("fix: [");
    expect(config).toEqual(DEFAULT_REPO_CONFIG);
    expect(problems).toEqual([
      'expected a mapping of sections (fix, review, sandbox, budget, limits, model, schedules), got "fix: ["; using the defaults',
    ]);
  });

  it("never shares the defaults object between results", () => {
    const first = parseRepoConfig("x").config;
    first.budget.max_steps = 1;
    expect(parseRepoConfig({}).config.budget.max_steps).toBe(60);
    expect(DEFAULT_REPO_CONFIG.budget.max_steps).toBe(60);
  });
});
