import nock from "nock";
import type { Probot } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DASHBOARD_MARKER } from "../../src/github/maintenance-dashboard.ts";
import type { MaintenanceDependencies } from "../../src/github/maintenance-events.ts";
import { parseCommand } from "../../src/github/triggers.ts";
import { createApp } from "../../src/index.ts";
import { findSchedule, listSchedules, type Schedule } from "../../src/store/schedules.ts";
import { testProbot } from "../helpers/probot.ts";
import { openTestDatabase, type TestDatabase } from "../helpers/test-database.ts";
import {
  examplePayload,
  INSTALLATION_ID,
  type Payload,
  webhookExample,
} from "../helpers/webhook-examples.ts";

const API = "https://api.github.com";
const FULL_NAME = "Codertocat/Hello-World";
const REPO = `/repos/${FULL_NAME}`;
const CONFIG = /\/repos\/Codertocat\/(Hello-World|\.github)\/contents\/\.github%2Floopwright\.yml/;

const YAML = `
schedules:
  - name: deps
    cron: "0 4 * * 1"
    timezone: Europe/Berlin
    prompt: Update the dependencies.
  - name: docs
    every: weekly
    prompt: Check the links in docs/.
`;

function configFile(text: string | undefined): void {
  const scope = nock(API).get(CONFIG);
  if (text === undefined) scope.times(2).reply(404, { message: "Not Found" });
  else scope.reply(200, text, { "content-type": "application/vnd.github.raw; charset=utf-8" });
}

function push(files: string[], ref = "refs/heads/master"): Payload {
  const payload = examplePayload("push");
  payload.ref = ref;
  payload.installation = { id: INSTALLATION_ID };
  payload.repository.default_branch = "master";
  payload.commits = [{ id: "abc", added: [], modified: files, removed: [] }];
  return payload;
}

function permission(login: string, level: string): void {
  nock(API)
    .get(`${REPO}/collaborators/${login}/permission`)
    .reply(200, { permission: level, role_name: level });
}

describe("maintenance webhooks", () => {
  let db: TestDatabase;
  let probot: Probot;
  let started: { schedule: string; trigger: string; eventKey: string }[];
  let delivery = 0;
  /** The dashboard issue as GitHub holds it. */
  let issue: { number: number; body: string } | undefined;

  const receive = (name: string, payload: Payload) =>
    probot.receive({ id: `delivery-${++delivery}`, name, payload } as never);

  const bodyOf = async (request: Request) => (JSON.parse(await request.text()) as { body: string }).body;

  function dashboardApi(): void {
    nock(API)
      .persist()
      .get(`${REPO}/issues`)
      .query(true)
      .reply(200, () => (issue ? [{ ...issue, user: { type: "Bot" } }] : []));
    for (const [method, path, status] of [
      ["POST", `${REPO}/issues`, 201],
      ["PATCH", `${REPO}/issues/9`, 200],
    ] as const) {
      nock(API)
        .persist()
        .intercept(path, method)
        .reply(async (request: Request) => {
          issue = { number: 9, body: await bodyOf(request) };
          return [status, issue];
        });
    }
  }

  beforeEach(async () => {
    nock.disableNetConnect();
    db = await openTestDatabase("pglite");
    started = [];
    issue = undefined;
    const maintenance: MaintenanceDependencies = {
      db,
      async startRun(schedule: Schedule, trigger, eventKey) {
        started.push({ schedule: schedule.name, trigger, eventKey });
        return { taskId: started.length, created: true };
      },
    };
    probot = testProbot();
    probot.load(
      createApp({
        submitTask: async () => {
          throw new Error("no task expected");
        },
        cancelTasks: async () => 0,
        tokensToday: async () => 0,
        maintenance,
      }),
    );
    dashboardApi();
  });

  afterEach(async () => {
    const pending = nock.pendingMocks().filter((mock) => !mock.includes("/issues"));
    nock.cleanAll();
    nock.enableNetConnect();
    await db.dispose();
    expect(pending).toEqual([]);
  });

  async function syncedFromPush(yaml = YAML) {
    configFile(yaml);
    await receive("push", push([".github/loopwright.yml"]));
  }

  it("reads the schedules on a push to the default branch that touches the config, and opens the dashboard", async () => {
    await syncedFromPush();
    const schedules = await listSchedules(db, FULL_NAME);
    expect(schedules.map((schedule) => [schedule.name, schedule.timezone])).toEqual([
      ["deps", "Europe/Berlin"],
      ["docs", "UTC"],
    ]);
    expect(schedules[1]?.cron).toMatch(/^\d+ [0-5] \* \* [0-6]$/);
    expect(issue?.body).toContain(DASHBOARD_MARKER);
    expect(issue?.body).toContain("### deps");

    // Removing a schedule edits the same dashboard issue.
    await syncedFromPush(YAML.split("  - name: docs")[0]);
    expect((await listSchedules(db, FULL_NAME)).map((schedule) => schedule.name)).toEqual(["deps"]);
    expect(issue?.number).toBe(9);
    expect(issue?.body).not.toContain("### docs");
  });

  it("names a bad schedule on the dashboard and keeps the good ones", async () => {
    await syncedFromPush(`${YAML}  - name: broken\n    cron: "0 4 * *"\n    prompt: x\n`);
    expect((await listSchedules(db, FULL_NAME)).map((schedule) => schedule.name)).toEqual(["deps", "docs"]);
    const text = (issue?.body ?? "").replace(/\\([!-/:-@[-`{-~])/g, "$1");
    expect(text).toContain("**Problems in `.github/loopwright.yml`**");
    expect(text).toContain(
      '- schedules[2].cron: expected five cron fields (minute hour day month weekday), such as "0 4 * * 1", got "0 4 * *"',
    );
  });

  it("ignores pushes that leave the config alone or go to another branch", async () => {
    await receive("push", push(["README.md"]));
    await receive("push", push([".github/loopwright.yml"], "refs/heads/feature"));
    expect(await listSchedules(db, FULL_NAME)).toEqual([]);
  });

  it("keeps the schedules when the file cannot be read, and forgets them when the App is removed", async () => {
    await syncedFromPush();
    configFile("schedules: [");
    await receive("push", push([".github/loopwright.yml"]));
    expect(await listSchedules(db, FULL_NAME)).toHaveLength(2);

    const removed = examplePayload("installation_repositories", "removed");
    removed.repositories_removed = [{ full_name: FULL_NAME }];
    await receive("installation_repositories", removed);
    expect(await listSchedules(db, FULL_NAME)).toEqual([]);
  });

  it("syncs every repository of a new installation", async () => {
    nock(API)
      .get("/installation/repositories")
      .query(true)
      .reply(200, {
        total_count: 1,
        repositories: [
          {
            full_name: FULL_NAME,
            default_branch: "main",
            clone_url: "https://github.com/x.git",
            archived: false,
          },
        ],
      });
    configFile(YAML);
    await receive("installation", examplePayload("installation", "created"));
    expect((await listSchedules(db, FULL_NAME)).map((schedule) => schedule.name)).toEqual(["deps", "docs"]);
  });

  it("runs a schedule ticked 'Run now' and pauses one ticked 'Pause' for a writer, then redraws the boxes", async () => {
    await syncedFromPush();
    const edited = webhookExample("issues", "edited");
    edited.issue.number = 9;
    edited.issue.user = { login: "loopwright[bot]", type: "Bot" };
    edited.issue.body = (issue?.body ?? "")
      .replace(
        "- [ ] Run now <!-- loopwright:run-now=deps -->",
        "- [x] Run now <!-- loopwright:run-now=deps -->",
      )
      .replace("- [ ] Pause <!-- loopwright:pause=docs -->", "- [x] Pause <!-- loopwright:pause=docs -->");
    permission(edited.sender.login, "write");
    await receive("issues", edited);

    expect(started).toEqual([
      { schedule: "deps", trigger: "run_now", eventKey: `dashboard:delivery-${delivery}:deps` },
    ]);
    expect(await findSchedule(db, FULL_NAME, "docs")).toMatchObject({
      paused: true,
      pauseReason: `paused by @${edited.sender.login}`,
    });
    expect(issue?.body).toContain("- [ ] Run now <!-- loopwright:run-now=deps -->");
    expect(issue?.body).toContain("- [x] Pause <!-- loopwright:pause=docs -->");

    // Unticking resumes.
    const resumed = structuredClone(edited);
    resumed.issue.body = issue?.body.replace(
      "- [x] Pause <!-- loopwright:pause=docs -->",
      "- [ ] Pause <!-- loopwright:pause=docs -->",
    );
    permission(edited.sender.login, "write");
    await receive("issues", resumed);
    expect((await findSchedule(db, FULL_NAME, "docs"))?.paused).toBe(false);
  });

  it("undoes a tick by someone without write access", async () => {
    await syncedFromPush();
    const before = issue?.body;
    const edited = webhookExample("issues", "edited");
    edited.issue.number = 9;
    edited.issue.user = { login: "loopwright[bot]", type: "Bot" };
    edited.issue.body = (before ?? "").replace(
      "- [ ] Pause <!-- loopwright:pause=deps -->",
      "- [x] Pause <!-- loopwright:pause=deps -->",
    );
    permission(edited.sender.login, "read");
    await receive("issues", edited);
    expect(started).toEqual([]);
    expect((await findSchedule(db, FULL_NAME, "deps"))?.paused).toBe(false);
    expect(issue?.body).toBe(before);
  });

  it("starts a run for /agent run <name> from a writer, and names the schedules for an unknown one", async () => {
    await syncedFromPush();
    const comment = webhookExample("issue_comment", "created");
    comment.comment.body = "/agent run deps";
    configFile(undefined);
    permission(comment.sender.login, "write");
    nock(API).post(`${REPO}/issues/comments/${comment.comment.id}/reactions`).reply(201, {});
    await receive("issue_comment", comment);
    expect(started).toEqual([
      { schedule: "deps", trigger: "command", eventKey: `comment:${comment.comment.id}` },
    ]);

    const unknown = webhookExample("issue_comment", "created");
    unknown.comment.body = "/agent run nope";
    configFile(undefined);
    permission(unknown.sender.login, "write");
    let reply = "";
    nock(API)
      .post(`${REPO}/issues/${unknown.issue.number}/comments`)
      .reply(async (request: Request) => {
        reply = await bodyOf(request);
        return [201, { id: 1 }];
      });
    await receive("issue_comment", unknown);
    expect(started).toHaveLength(1);
    const words = reply.replace(/\\([!-/:-@[-`{-~])/g, "$1");
    expect(words).toContain('there is no schedule named "nope"');
    expect(words).toContain("(there are: `deps`, `docs`)");
  });
});

describe("/agent run <name>", () => {
  it("is read as a run of one schedule only when a single name follows", () => {
    expect(parseCommand("/agent run deps", "/agent")).toEqual({ type: "run", name: "deps" });
    expect(parseCommand("/agent Run docs.links!\nplease", "/agent")).toEqual({
      type: "run",
      name: "docs.links",
    });
    expect(parseCommand("/agent run the tests and fix them", "/agent").type).toBe("instructions");
  });
});
