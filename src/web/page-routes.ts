import type { Queryable } from "../store/database.ts";
import { findTask, parseWritePosition, readerAfter, writePosition } from "../store/read-your-writes.ts";
import { startOfUtcDay } from "../store/repository-tasks.ts";
import { listSteps } from "../store/steps.ts";
import { listTaskPage, summarizeRepositories } from "../store/task-history.ts";
import { getTask } from "../store/tasks.ts";
import { readTranscript } from "../store/transcripts.ts";
import { LIVE_SCRIPT, STYLESHEET } from "./assets.ts";
import { csrfTokenMatches, fromOwnOrigin } from "./csrf.ts";
import { html } from "./html.ts";
import { parseListQuery, parseTaskId } from "./list-query.ts";
import { messagePage } from "./message-page.ts";
import { repositoriesPage } from "./repositories-page.ts";
import { readForm, redirect, sendHtml } from "./respond.ts";
import { pageViewer, signedPage } from "./signed-request.ts";
import { toStepView } from "./step-view.ts";
import { stopTask } from "./stop-task.ts";
import { taskPage } from "./task-page.ts";
import { tasksPage } from "./tasks-page.ts";
import type { Route, RouteRequest, Signed, WebContext } from "./web-context.ts";

const PAGE_SIZE = 50;

function notFound(context: WebContext, route: RouteRequest, signed: Signed, what: string): void {
  context.log.debug({ path: route.url.pathname, login: signed.viewer.login }, `dashboard: ${what}`);
  sendHtml(
    route.response,
    404,
    messagePage("Not found", html`<p>${what}, or you cannot see it.</p>`, pageViewer(signed)),
    context.githubUrl,
  );
}

/**
 * The signed viewer's task from the path, or undefined once a 404 has been sent; read through
 * `reader` when given (one that has seen the viewer's own write), else replica first.
 */
async function visibleTask(context: WebContext, route: RouteRequest, signed: Signed, reader?: Queryable) {
  const id = parseTaskId(route.params[0]);
  const task =
    id === undefined ? undefined : reader ? await getTask(reader, id) : await findTask(signed.db, id);
  if (!task || !(await signed.access.canRead(task.repository))) {
    notFound(context, route, signed, `There is no task ${route.params[0]}`);
    return undefined;
  }
  return task;
}

const assets: Route = {
  method: "GET",
  path: /^\/dashboard\/assets\/(style\.css|live\.js)$/,
  async handle(_context, { response, params }) {
    const css = params[0] === "style.css";
    response.writeHead(200, {
      "content-type": css ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8",
      "cache-control": "public, max-age=300",
      "x-content-type-options": "nosniff",
    });
    response.end(css ? STYLESHEET : LIVE_SCRIPT);
  },
};

const tasksList: Route = {
  method: "GET",
  path: /^\/dashboard\/?$/,
  async handle(context, route) {
    const signed = await signedPage(context, route);
    if (!signed) return;
    const parsed = parseListQuery(route.url.searchParams, PAGE_SIZE);
    if (!parsed.ok) {
      context.log.debug({ reason: parsed.error }, "dashboard: bad task list query");
      return sendHtml(
        route.response,
        400,
        messagePage(
          "Bad filter",
          html`<p>${parsed.error}.</p><p><a href="/dashboard">All tasks</a></p>`,
          pageViewer(signed),
        ),
        context.githubUrl,
      );
    }
    const query = parsed.value;
    const visible = await signed.access.visibleRepositories();
    const page = await listTaskPage(signed.db.reader, { ...query, visibleRepositories: visible });
    // Administrators see every repository: the filter takes any name instead of offering a list.
    const repositories = visible ?? [];
    sendHtml(
      route.response,
      200,
      tasksPage({ page, query, repositories, viewer: pageViewer(signed), now: context.now() }),
      context.githubUrl,
    );
  },
};

const repositories: Route = {
  method: "GET",
  path: /^\/dashboard\/repositories$/,
  async handle(context, route) {
    const signed = await signedPage(context, route);
    if (!signed) return;
    const visible = await signed.access.visibleRepositories();
    const summaries = await summarizeRepositories(signed.db.reader, visible, startOfUtcDay(context.now()));
    sendHtml(
      route.response,
      200,
      repositoriesPage({ summaries, viewer: pageViewer(signed) }),
      context.githubUrl,
    );
  },
};

const taskDetail: Route = {
  method: "GET",
  path: /^\/dashboard\/tasks\/([^/]+)$/,
  async handle(context, route) {
    const signed = await signedPage(context, route);
    if (!signed) return;
    // Back from the viewer's own write (a stop): a replica shows the page only once it has that write.
    const after = parseWritePosition(route.url.searchParams.get("after"));
    const { reader } = await readerAfter(signed.db, after, { maxWaitMs: 1_000 });
    const task = await visibleTask(context, route, signed, after === undefined ? undefined : reader);
    if (!task) return;
    const steps = (await listSteps(reader, task.id)).map(toStepView);
    const canStop = await signed.access.canStop(task.repository);
    sendHtml(
      route.response,
      200,
      taskPage({
        task,
        steps,
        viewer: pageViewer(signed),
        canStop,
        githubUrl: context.githubUrl,
        now: context.now(),
      }),
      context.githubUrl,
    );
  },
};

const transcript: Route = {
  method: "GET",
  path: /^\/dashboard\/tasks\/([^/]+)\/transcript\.jsonl$/,
  async handle(context, route) {
    const signed = await signedPage(context, route);
    if (!signed) return;
    const task = await visibleTask(context, route, signed);
    if (!task) return;
    route.response.writeHead(200, {
      "content-type": "application/x-ndjson; charset=utf-8",
      "content-disposition": `attachment; filename="task-${task.id}.jsonl"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    route.response.end(await readTranscript(signed.db.reader, task.id));
  },
};

const stop: Route = {
  method: "POST",
  path: /^\/dashboard\/tasks\/([^/]+)\/stop$/,
  async handle(context, route) {
    const signed = await signedPage(context, route);
    if (!signed) return;
    const form = await readForm(route.request);
    const session = signed.who.session;
    if (
      session &&
      (!fromOwnOrigin(route.request, context.publicUrl) || !csrfTokenMatches(session.csrf, form.get("csrf")))
    ) {
      context.log.info({ login: signed.viewer.login }, "stop refused: bad CSRF token or origin");
      return sendHtml(
        route.response,
        403,
        messagePage(
          "Not stopped",
          html`<p>This form is out of date; reload the task and try again.</p>`,
          pageViewer(signed),
        ),
        context.githubUrl,
      );
    }
    const task = await visibleTask(context, route, signed);
    if (!task) return;
    const result = await stopTask(signed.db, signed.access, task);
    if (result.status === "forbidden") {
      context.log.info({ login: signed.viewer.login, taskId: task.id }, `stop refused: ${result.reason}`);
      return sendHtml(
        route.response,
        403,
        messagePage(
          "Not stopped",
          html`<p>${result.reason}.</p><p><a href="/dashboard/tasks/${task.id}">Back to the task</a></p>`,
          pageViewer(signed),
        ),
        context.githubUrl,
      );
    }
    context.log.info(
      { login: signed.viewer.login, taskId: task.id },
      "task stop requested from the dashboard",
    );
    const position = await writePosition(signed.db);
    redirect(
      route.response,
      `/dashboard/tasks/${task.id}${position ? `?after=${encodeURIComponent(position)}` : ""}`,
    );
  },
};

/** The dashboard's HTML pages, its stop form and its static assets. */
export const pageRoutes: Route[] = [assets, tasksList, repositories, taskDetail, transcript, stop];
