import { describe, expect, it } from "vitest";
import {
  DASHBOARD_MARKER,
  parseDashboardTicks,
  renderDashboard,
} from "../../src/github/maintenance-dashboard.ts";
import type { Schedule, ScheduleRun } from "../../src/store/schedules.ts";

const schedule = (id: number, name: string, extra: Partial<Schedule> = {}): Schedule => ({
  id,
  repository: "o/r",
  installationId: 1,
  name,
  cron: "0 4 * * 1",
  timezone: "Europe/Berlin",
  settings: { name, cron: "0 4 * * 1", prompt: "x" },
  enabled: true,
  paused: false,
  pauseReason: null,
  nextRunAt: new Date("2026-12-07T03:00:00Z"),
  lastRunAt: null,
  branch: null,
  branchSha: null,
  branchOnlyOurs: true,
  prNumber: null,
  prUrl: null,
  patchId: null,
  closedStreak: 0,
  closedPatchId: null,
  ...extra,
});

const run = (extra: Partial<ScheduleRun>): ScheduleRun => ({
  id: 1,
  scheduleId: 1,
  slot: new Date("2026-11-30T03:00:00Z"),
  trigger: "schedule",
  late: false,
  taskId: 5,
  outcome: null,
  reason: null,
  prUrl: null,
  tokens: 0,
  taskStatus: "running",
  taskError: null,
  createdAt: new Date("2026-11-30T03:00:01Z"),
  finishedAt: null,
  ...extra,
});

const plain = (markdown: string) => markdown.replace(/\\([!-/:-@[-`{-~])/g, "$1");

describe("renderDashboard", () => {
  it("shows each schedule's time, state, boxes and last runs, and reads the boxes back", () => {
    const body = renderDashboard({
      command: "/agent",
      schedules: [
        schedule(1, "deps", { prNumber: 12 }),
        schedule(2, "docs", { paused: true, pauseReason: "paused by @ann" }),
        schedule(3, "off", { enabled: false }),
      ],
      runs: new Map([
        [
          1,
          [
            run({
              outcome: "pr_updated",
              prUrl: "https://github.com/o/r/pull/12",
              reason: "Bumped 3 packages.",
              tokens: 12_345,
              late: true,
            }),
            run({ id: 2, taskStatus: "failed", taskError: "worker gave up", trigger: "run_now" }),
            run({ id: 3 }),
          ],
        ],
      ]),
    });
    const text = plain(body);
    expect(body.startsWith(DASHBOARD_MARKER)).toBe(true);
    expect(text).toContain("At 04:00, only on Monday (Europe/Berlin) · next run 2026-12-07 03:00 UTC");
    expect(text).toContain("Open pull request: #12");
    expect(text).toContain(
      "(late: the scheduler was down at its time) | 🔄 updated [pull request](https://github.com/o/r/pull/12): Bumped 3 packages. | 12,345 |",
    );
    expect(text).toContain("(run now) | ❌ failed: worker gave up |");
    expect(text).toContain("⏳ waiting or running");
    // The mention is neutralized: nobody is pinged by an edit of the dashboard.
    expect(text).toMatch(/\*\*paused\*\*: paused by @.+ann\./);
    expect(text).toContain("disabled in `.github/loopwright.yml`");
    expect(text).toContain("No runs yet. `/agent run docs` in any issue starts one.");

    const ticks = parseDashboardTicks(
      body.replace(
        "- [ ] Run now <!-- loopwright:run-now=deps -->",
        "- [X] Run now <!-- loopwright:run-now=deps -->",
      ),
    );
    expect(ticks.runNow).toEqual(["deps"]);
    expect([...ticks.pause]).toEqual([
      ["deps", false],
      ["docs", true],
      ["off", false],
    ]);
  });
});
