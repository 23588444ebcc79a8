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
      review: { auto: true, drafts: false, max_comments: 10 },
      sandbox: { network: false, setup: null, timeout_minutes: 30, env: {} },
      budget: { max_steps: 60, max_tokens: 2_000_000, daily_tokens: 20_000_000 },
      model: { name: null, reasoning_effort: null },
      schedules: [],
    });
  });

  it("reads the design's sample file", () => {
    const raw = parseYaml(`
fix:      { command: /agent, label: "agent:fix", draft: true, branch_prefix: agent/ }
review:   { auto: true, drafts: false, max_comments: 10 }
sandbox:  { network: false, setup: "npm ci", timeout_minutes: 30, env: { CI: true, LEVEL: 3 } }
budget:   { max_steps: 60, max_tokens: 2000000, daily_tokens: 20000000 }
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
    });
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
    expect(config.budget).toEqual({ max_steps: 60, max_tokens: 5000, daily_tokens: 20_000_000 });
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
    ["model", "name", "", "expected a model name"],
    ["model", "reasoning_effort", "max", "expected one of minimal, low, medium, high"],
  ])("%s.%s = %j is reported and defaulted", (sectionName, key, value, message) => {
    const { config, problems } = parseRepoConfig({ [sectionName]: { [key]: value } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`${sectionName}.${key}: `);
    expect(problems[0]).toContain(message);
    expect(config).toEqual(DEFAULT_REPO_CONFIG);
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
      'schedules[5]: expected a mapping with name, cron and prompt, got "not a mapping"',
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
      'expected a mapping of sections (fix, review, sandbox, budget, model, schedules), got "fix: ["; using the defaults',
    ]);
  });

  it("never shares the defaults object between results", () => {
    const first = parseRepoConfig("x").config;
    first.budget.max_steps = 1;
    expect(parseRepoConfig({}).config.budget.max_steps).toBe(60);
    expect(DEFAULT_REPO_CONFIG.budget.max_steps).toBe(60);
  });
});
