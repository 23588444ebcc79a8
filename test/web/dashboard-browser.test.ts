import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StepRecorder } from "../../src/store/steps.ts";
import { cancelRequestedAmong, finishTask, type Task } from "../../src/store/tasks.ts";
import { repoRoot } from "../helpers/cli-process.ts";
import {
  type DashboardServer,
  seedTask,
  startDashboardServer,
  toolCallPayload,
} from "./helpers/dashboard-server.ts";
import { type FakeGitHubUsers, startFakeGitHubUsers } from "./helpers/fake-github-users.ts";

/** Debian's chromium (`apt-get install chromium`, as .ci/run does). */
const executablePath = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((file) => existsSync(file));
if (!executablePath)
  console.warn("skipping the dashboard browser test: chromium is not installed (apt-get install chromium)");
const ARTIFACTS = path.join(repoRoot, "artifacts", "dashboard");

describe.skipIf(!executablePath)("the dashboard in a browser", () => {
  let fake: FakeGitHubUsers;
  let server: DashboardServer;
  let browser: Browser;
  let task: Task;
  let steps: StepRecorder;
  let worker: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    fake = await startFakeGitHubUsers([
      {
        login: "walt",
        token: "ghu_waltWriter000000000000000000000000",
        repositories: [{ fullName: "octo/app", permission: "write" }],
      },
    ]);
    server = await startDashboardServer(fake, { pollIntervalMs: 200 });
    await seedTask(server.db, "other/secret", { number: 5, kind: "review", requester: "eve" });
    const seeded = await seedTask(server.db, "octo/app", { number: 12, requester: "walt" });
    task = seeded.task;
    steps = seeded.steps;
    await seeded.steps.record({
      kind: "workspace",
      durationMs: 830,
      payload: { branch: "agent/issue-12-sum", baseSha: "4f2c0de1a9b8" },
    });
    await seeded.steps.record({
      kind: "plan_update",
      payload: {
        type: "plan_update",
        explanation: null,
        plan: [
          { step: "Reproduce the failing test", status: "in_progress" },
          { step: "Fix sum()", status: "pending" },
        ],
      },
    });
    browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  }, 120_000);

  afterAll(async () => {
    clearInterval(worker);
    await browser?.close();
    await server?.close();
    await fake?.close();
  });

  it("signs in through GitHub, shows only the allowed repository, follows a running task live and stops it", async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(`${server.url}/dashboard`);
    await page.getByRole("link", { name: "Sign in with GitHub" }).click();
    await page.waitForURL(`${server.url}/dashboard`);
    const listed = await page.locator("table").innerText();
    expect(listed).toContain("octo/app#12");
    expect(listed).not.toContain("other/secret");
    await page.screenshot({ path: path.join(ARTIFACTS, "tasks.png"), fullPage: true });

    await page.getByRole("link", { name: "octo/app#12" }).click();
    await page.waitForSelector("#live:not([hidden])");
    await page.evaluate('window.marker = "same page"');

    // The worker writes steps while the page is open; they appear without a reload.
    await steps.record({
      kind: "tool_call",
      payload: toolCallPayload("npm test", 1, "FAIL test/sum.test.js\n  expected 5, got -1"),
    });
    await steps.record({
      kind: "plan_update",
      payload: {
        type: "plan_update",
        explanation: null,
        plan: [
          { step: "Reproduce the failing test", status: "completed" },
          { step: "Fix sum()", status: "in_progress" },
        ],
      },
    });
    await page.waitForSelector('[id="step-1.2"]', { timeout: 30_000 });
    expect(await page.locator('[id="step-1.2"]').innerText()).toContain("exit 1");
    await page.waitForSelector("#plan li.completed", { timeout: 30_000 });
    expect(await page.evaluate("window.marker")).toBe("same page");
    await page.screenshot({ path: path.join(ARTIFACTS, "task-live.png"), fullPage: true });

    // A stand-in worker: it ends the task once a stop is requested, as the real one does within a second.
    worker = setInterval(async () => {
      if ((await cancelRequestedAmong(server.db, [task.id])).length === 0) return;
      clearInterval(worker);
      await steps.record({
        kind: "final",
        payload: { type: "final", outcome: "aborted", message: "stopped on request" },
      });
      await finishTask(server.db, task.id, task.attempt, {
        status: "cancelled",
        error: "cancelled on request",
      });
    }, 100);
    await page.getByRole("button", { name: "Stop task" }).click();
    await page.waitForSelector("#status .status-cancelled", { timeout: 30_000 });
    await page.waitForSelector("#stop", { state: "detached", timeout: 30_000 });
    expect(await page.locator('[id="step-1.4"]').innerText()).toContain("final: aborted");
    await page.screenshot({ path: path.join(ARTIFACTS, "task-stopped.png"), fullPage: true });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/dashboard/repositories`);
    expect(await page.locator("table").innerText()).toContain("octo/app");
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(ARTIFACTS, "repositories-phone.png"), fullPage: true });
  }, 180_000);
});
