import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getTask, type Task } from "../../src/store/tasks.ts";
import { createTranscriptRecorder } from "../../src/store/transcripts.ts";
import {
  type DashboardServer,
  seedTask,
  startDashboardServer,
  toolCallPayload,
} from "./helpers/dashboard-server.ts";
import { type FakeGitHubUsers, startFakeGitHubUsers } from "./helpers/fake-github-users.ts";
import { csrfOf, signIn } from "./helpers/sign-in.ts";

const USERS = [
  {
    login: "rita",
    token: "ghu_ritaReader000000000000000000000000",
    repositories: [{ fullName: "octo/app", permission: "read" as const }],
  },
  {
    login: "walt",
    token: "ghu_waltWriter000000000000000000000000",
    repositories: [{ fullName: "octo/app", permission: "write" as const }],
  },
  { login: "sam", token: "ghu_samStranger00000000000000000000000", repositories: [] },
  { login: "ada", token: "ghu_adaAdmin00000000000000000000000000", repositories: [] },
];
const [rita, , sam, ada] = USERS as [
  (typeof USERS)[0],
  (typeof USERS)[0],
  (typeof USERS)[0],
  (typeof USERS)[0],
];
const LOCAL_TOKEN = "lwl_localAdministratorToken";

/** The API's JSON answers, loosely typed for assertions. */
type ApiBody = {
  error: string;
  tasks: Task[];
  next: string;
  task: Task;
  canStop: boolean;
  steps: { id: string; kind: string }[];
  cursor: string;
  repositories: unknown[];
};
const read = async (response: Response | Promise<Response>): Promise<ApiBody> =>
  (await (await response).json()) as ApiBody;

describe("dashboard and /api/v1", () => {
  let fake: FakeGitHubUsers;
  let server: DashboardServer;
  let app: Task;
  let secret: Task;

  const api = (path: string, token?: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, {
      ...init,
      redirect: "manual",
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(init.headers as Record<string, string>),
      },
    });
  const page = (path: string, cookie?: string) =>
    fetch(`${server.url}${path}`, { redirect: "manual", headers: cookie ? { cookie } : {} });

  beforeAll(async () => {
    fake = await startFakeGitHubUsers(USERS);
    server = await startDashboardServer(fake, { admins: ["ADA"], localToken: LOCAL_TOKEN });
    const first = await seedTask(server.db, "octo/app", { number: 1, requester: "rita" });
    app = first.task;
    await first.steps.record({
      kind: "tool_call",
      payload: toolCallPayload("npm test", 1, "1 failing\n<script>alert(1)</script>"),
    });
    await first.steps.record({
      kind: "plan_update",
      payload: {
        type: "plan_update",
        step: 1,
        at: "",
        explanation: null,
        plan: [
          { step: "reproduce the bug", status: "completed" },
          { step: "fix sum()", status: "in_progress" },
        ],
      },
    });
    await createTranscriptRecorder(server.db, app.id, app.attempt).append('{"output":[]}');
    secret = (await seedTask(server.db, "other/secret", { number: 2, kind: "review", requester: "eve" }))
      .task;
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await fake?.close();
  });

  describe("API authorization", () => {
    it("answers 401 without a token or session, and for a token GitHub refuses", async () => {
      for (const path of [
        "/api/v1/tasks",
        `/api/v1/tasks/${app.id}`,
        `/api/v1/tasks/${app.id}/steps`,
        "/api/v1/repositories",
      ]) {
        const response = await api(path);
        expect(response.status, path).toBe(401);
        expect((await read(response)).error).toMatch(/not signed in/);
      }
      expect((await api("/api/v1/tasks", "ghu_unknown")).status).toBe(401);
      expect((await api(`/api/v1/tasks/${app.id}/stop`, undefined, { method: "POST" })).status).toBe(401);
    });

    it("shows a stranger nothing: an empty list and 404 for every task route", async () => {
      expect((await read(api("/api/v1/tasks", sam.token))).tasks).toEqual([]);
      expect((await read(api("/api/v1/repositories", sam.token))).repositories).toEqual([]);
      for (const suffix of ["", "/steps", "/transcript", "/events"]) {
        expect((await api(`/api/v1/tasks/${app.id}${suffix}`, sam.token)).status, suffix).toBe(404);
      }
      expect((await api(`/api/v1/tasks/${app.id}/stop`, sam.token, { method: "POST" })).status).toBe(404);
    });

    it("shows a reader their repository's tasks, steps and transcript, and refuses their stop", async () => {
      const list = await read(api("/api/v1/tasks", rita.token));
      expect(list.tasks.map((task: Task) => task.repository)).toEqual(["octo/app"]);
      const one = await read(api(`/api/v1/tasks/${app.id}`, rita.token));
      expect(one).toMatchObject({ task: { id: app.id, status: "running" }, canStop: false });
      expect((await api(`/api/v1/tasks/${secret.id}`, rita.token)).status).toBe(404);

      const steps = await read(api(`/api/v1/tasks/${app.id}/steps`, rita.token));
      expect(steps.steps.map((step: { kind: string }) => step.kind)).toEqual(["tool_call", "plan_update"]);
      expect(steps.cursor).toBe("1.1");
      const after = await read(api(`/api/v1/tasks/${app.id}/steps?after=1.0`, rita.token));
      expect(after.steps.map((step: { id: string }) => step.id)).toEqual(["1.1"]);
      expect(await (await api(`/api/v1/tasks/${app.id}/transcript`, rita.token)).text()).toBe(
        '{"output":[]}\n',
      );

      const stop = await api(`/api/v1/tasks/${app.id}/stop`, rita.token, { method: "POST" });
      expect(stop.status).toBe(403);
      expect((await read(stop)).error).toBe("stopping a task needs write access to octo/app");
      expect((await getTask(server.db, app.id))?.cancelRequested).toBe(false);
    });

    it("lets administrators (LOOPWRIGHT_ADMINS, case-insensitive, or the local token) see everything", async () => {
      for (const token of [ada.token, LOCAL_TOKEN]) {
        const list = await read(api("/api/v1/tasks", token));
        expect(list.tasks.map((task: Task) => task.id)).toEqual([secret.id, app.id]);
        expect((await read(api(`/api/v1/tasks/${secret.id}`, token))).canStop).toBe(true);
      }
    });

    it("pages with a keyset cursor and answers bad input with 400, unknown paths 404, wrong methods 405", async () => {
      const first = await read(api("/api/v1/tasks?limit=1", ada.token));
      expect(first.tasks.map((task: Task) => task.id)).toEqual([secret.id]);
      expect(first.next).toBe(`/api/v1/tasks?limit=1&before=${secret.id}`);
      const second = await read(api(first.next, ada.token));
      expect(second.tasks.map((task: Task) => task.id)).toEqual([app.id]);
      expect(second.next).toBeNull();
      const filtered = await read(api("/api/v1/tasks?kind=review&requester=eve", ada.token));
      expect(filtered.tasks.map((task: Task) => task.id)).toEqual([secret.id]);

      const bad = await api("/api/v1/tasks?status=bogus", ada.token);
      expect(bad.status).toBe(400);
      expect((await read(bad)).error).toMatch(/^status expects one of queued, running/);
      expect((await api("/api/v1/tasks?limit=0", ada.token)).status).toBe(400);
      expect((await api(`/api/v1/tasks/${app.id}/steps?after=x`, ada.token)).status).toBe(400);
      expect((await api("/api/v1/tasks/abc", ada.token)).status).toBe(404);
      expect((await api("/api/v1/nothing", ada.token)).status).toBe(404);
      const wrong = await api("/api/v1/tasks", ada.token, { method: "DELETE" });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get("allow")).toBe("GET");
    });
  });

  describe("pages", () => {
    it("asks to sign in, then shows a reader only what they can read, escaped, without a stop button", async () => {
      const anonymous = await page("/dashboard");
      expect(anonymous.status).toBe(401);
      expect(await anonymous.text()).toContain("Sign in with GitHub");

      fake.signInAs("rita");
      const cookie = await signIn(server.url);
      expect(cookie).toMatch(/^lw_session=/);
      const list = await (await page("/dashboard", cookie)).text();
      expect(list).toContain("octo/app#1");
      expect(list).not.toContain("other/secret");
      expect(list).not.toContain(rita.token);

      const task = await page(`/dashboard/tasks/${app.id}`, cookie);
      expect(task.status).toBe(200);
      expect(task.headers.get("content-security-policy")).toContain("script-src 'self'");
      const html = await task.text();
      expect(html).toContain("bash -lc npm test");
      expect(html).toContain("exit 1");
      expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
      expect(html).not.toContain("<script>alert(1)</script>");
      expect(html).toContain('<li class="in_progress">fix sum()</li>');
      expect(html).toContain(`loopwright replay task-${app.id}.jsonl`);
      expect(html).not.toContain("Stop task");
      expect(html).not.toContain("test-client-secret");
      expect((await page(`/dashboard/tasks/${secret.id}`, cookie)).status).toBe(404);

      const refused = await fetch(`${server.url}/dashboard/tasks/${app.id}/stop`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ csrf: csrfOf(html) }),
      });
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain("stopping a task needs write access to octo/app");
    });

    it("stops a task for a writer only with the session's CSRF token from the dashboard's own origin", async () => {
      const { task } = await seedTask(server.db, "octo/app", { number: 3 });
      fake.signInAs("walt");
      const cookie = await signIn(server.url);
      const html = await (await page(`/dashboard/tasks/${task.id}`, cookie)).text();
      expect(html).toContain("Stop task");
      const post = (body: Record<string, string>, headers: Record<string, string> = {}) =>
        fetch(`${server.url}/dashboard/tasks/${task.id}/stop`, {
          method: "POST",
          redirect: "manual",
          headers: { cookie, "content-type": "application/x-www-form-urlencoded", ...headers },
          body: new URLSearchParams(body),
        });
      expect((await post({})).status).toBe(403);
      expect((await post({ csrf: "forged" })).status).toBe(403);
      expect((await post({ csrf: csrfOf(html) }, { origin: "https://evil.example" })).status).toBe(403);
      expect((await getTask(server.db, task.id))?.cancelRequested).toBe(false);
      const stopped = await post({ csrf: csrfOf(html) }, { origin: server.url });
      expect(stopped.status).toBe(303);
      expect(stopped.headers.get("location")).toBe(`/dashboard/tasks/${task.id}`);
      expect((await getTask(server.db, task.id))?.cancelRequested).toBe(true);

      // The API takes the same session only with the token in X-CSRF-Token.
      const viaApi = (headers: Record<string, string>) =>
        fetch(`${server.url}/api/v1/tasks/${task.id}/stop`, {
          method: "POST",
          headers: { cookie, ...headers },
        });
      expect((await viaApi({})).status).toBe(403);
      expect((await viaApi({ "x-csrf-token": csrfOf(html) })).status).toBe(202);
    });

    it("refuses a callback whose state is not the one it handed out, and a tampered session", async () => {
      const forged = await page("/dashboard/auth/callback?code=code-walt&state=guess");
      expect(forged.status).toBe(400);
      expect(await forged.text()).toContain("This sign-in link is not valid here");
      const tampered = await page("/dashboard", "lw_session=a.b.c.d");
      expect(tampered.status).toBe(401);
      const elsewhere = await page("/dashboard/sign-in?return_to=https://evil.example/");
      const state = new URL(elsewhere.headers.get("location") as string).searchParams.get("state");
      expect(state).toBeTruthy();
    });

    it("lists repositories with today's tokens and task counts", async () => {
      fake.signInAs("ada");
      const cookie = await signIn(server.url);
      const html = await (await page("/dashboard/repositories", cookie)).text();
      expect(html).toContain("octo/app");
      expect(html).toContain("other/secret");
    });

    it("answers bad filters with a 400 page and unknown pages with 404", async () => {
      fake.signInAs("ada");
      const cookie = await signIn(server.url);
      const bad = await page("/dashboard?before=-3", cookie);
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain("before expects a whole number");
      expect((await page("/dashboard/nope", cookie)).status).toBe(404);
      expect((await page("/elsewhere", cookie)).status).toBe(404);
    });
  });

  it("says why the dashboard is off without OAuth credentials, and how to turn it on", async () => {
    const off = await startDashboardServer(fake, { oauth: false, sharedDb: server.db });
    try {
      const response = await fetch(`${off.url}/dashboard`);
      expect(response.status).toBe(503);
      const text = await response.text();
      expect(text).toContain("GITHUB_CLIENT_ID");
      expect(text).toContain(`${off.url}/dashboard/auth/callback`);
      expect((await fetch(`${off.url}/dashboard/sign-in`)).status).toBe(503);
      // The API still takes GitHub user tokens.
      expect(
        (await fetch(`${off.url}/api/v1/tasks`, { headers: { authorization: `Bearer ${rita.token}` } }))
          .status,
      ).toBe(200);
    } finally {
      await off.close();
    }
  });
});
