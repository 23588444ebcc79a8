import { findTask } from "../store/read-your-writes.ts";
import { startOfUtcDay } from "../store/repository-tasks.ts";
import { listSteps, type Step } from "../store/steps.ts";
import { listTaskPage, summarizeRepositories } from "../store/task-history.ts";
import type { Task } from "../store/tasks.ts";
import { readTranscript } from "../store/transcripts.ts";
import { csrfTokenMatches, fromOwnOrigin } from "./csrf.ts";
import { parseCursor, parseListQuery, parseTaskId } from "./list-query.ts";
import { sendJson } from "./respond.ts";
import { signedApi } from "./signed-request.ts";
import { stopTask } from "./stop-task.ts";
import type { Route, RouteRequest, Signed, WebContext } from "./web-context.ts";

/** A task as the API returns it, with links to its steps, transcript and page. */
export function taskJson(task: Task, publicUrl: string) {
  return {
    ...task,
    links: {
      self: `/api/v1/tasks/${task.id}`,
      steps: `/api/v1/tasks/${task.id}/steps`,
      transcript: `/api/v1/tasks/${task.id}/transcript`,
      page: `${publicUrl}/dashboard/tasks/${task.id}`,
    },
  };
}

/** A step as the API returns it; `id` ("attempt.seq") is the `after` cursor for the next call. */
export function stepJson(step: Step) {
  return { id: `${step.attempt}.${step.seq}`, ...step };
}

async function visibleTask(route: RouteRequest, signed: Signed): Promise<Task | undefined> {
  const id = parseTaskId(route.params[0]);
  const task = id === undefined ? undefined : await findTask(signed.db, id);
  if (!task || !(await signed.access.canRead(task.repository))) {
    sendJson(route.response, 404, { error: `there is no task ${route.params[0]}, or you cannot see it` });
    return undefined;
  }
  return task;
}

const tasks: Route = {
  method: "GET",
  path: /^\/api\/v1\/tasks$/,
  async handle(context, route) {
    const signed = await signedApi(context, route);
    if (!signed) return;
    const parsed = parseListQuery(route.url.searchParams, 50);
    if (!parsed.ok) return sendJson(route.response, 400, { error: parsed.error });
    const visible = await signed.access.visibleRepositories();
    const page = await listTaskPage(signed.db.reader, { ...parsed.value, visibleRepositories: visible });
    let next: string | null = null;
    if (page.next !== undefined) {
      const params = new URLSearchParams(route.url.searchParams);
      params.set("before", String(page.next));
      next = `/api/v1/tasks?${params}`;
    }
    sendJson(route.response, 200, {
      tasks: page.tasks.map((task) => taskJson(task, context.publicUrl)),
      next,
    });
  },
};

const task: Route = {
  method: "GET",
  path: /^\/api\/v1\/tasks\/([^/]+)$/,
  async handle(context, route) {
    const signed = await signedApi(context, route);
    if (!signed) return;
    const found = await visibleTask(route, signed);
    if (!found) return;
    const canStop = await signed.access.canStop(found.repository);
    sendJson(route.response, 200, { task: taskJson(found, context.publicUrl), canStop });
  },
};

const steps: Route = {
  method: "GET",
  path: /^\/api\/v1\/tasks\/([^/]+)\/steps$/,
  async handle(context, route) {
    const signed = await signedApi(context, route);
    if (!signed) return;
    const cursor = parseCursor(route.url.searchParams.get("after"));
    if (!cursor.ok) return sendJson(route.response, 400, { error: cursor.error });
    const found = await visibleTask(route, signed);
    if (!found) return;
    const list = await listSteps(signed.db.reader, found.id, cursor.value);
    const last = list.at(-1);
    sendJson(route.response, 200, {
      steps: list.map(stepJson),
      cursor: last ? `${last.attempt}.${last.seq}` : (route.url.searchParams.get("after") ?? null),
    });
  },
};

const transcript: Route = {
  method: "GET",
  path: /^\/api\/v1\/tasks\/([^/]+)\/transcript$/,
  async handle(context, route) {
    const signed = await signedApi(context, route);
    if (!signed) return;
    const attemptText = route.url.searchParams.get("attempt");
    const attempt = attemptText === null ? undefined : Number(attemptText);
    if (attempt !== undefined && (!Number.isInteger(attempt) || attempt < 1)) {
      return sendJson(route.response, 400, {
        error: `attempt expects a whole number of at least 1 (got ${JSON.stringify(attemptText)})`,
      });
    }
    const found = await visibleTask(route, signed);
    if (!found) return;
    route.response.writeHead(200, {
      "content-type": "application/x-ndjson; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    route.response.end(await readTranscript(signed.db.reader, found.id, attempt));
  },
};

const stop: Route = {
  method: "POST",
  path: /^\/api\/v1\/tasks\/([^/]+)\/stop$/,
  async handle(context, route) {
    const signed = await signedApi(context, route);
    if (!signed) return;
    const session = signed.who.session;
    const header = route.request.headers["x-csrf-token"];
    if (
      session &&
      (!fromOwnOrigin(route.request, context.publicUrl) ||
        !csrfTokenMatches(session.csrf, typeof header === "string" ? header : undefined))
    ) {
      context.log.info({ login: signed.viewer.login }, "API stop refused: bad CSRF token or origin");
      return sendJson(route.response, 403, {
        error: "a session's POST needs its CSRF token in X-CSRF-Token",
      });
    }
    const found = await visibleTask(route, signed);
    if (!found) return;
    const result = await stopTask(signed.db, signed.access, found);
    if (result.status === "forbidden") {
      context.log.info(
        { login: signed.viewer.login, taskId: found.id },
        `API stop refused: ${result.reason}`,
      );
      return sendJson(route.response, 403, { error: result.reason });
    }
    context.log.info({ login: signed.viewer.login, taskId: found.id }, "task stop requested through the API");
    sendJson(route.response, result.status === "stopping" ? 202 : 200, {
      status: result.status,
      task: taskJson(result.task, context.publicUrl),
    });
  },
};

const repositories: Route = {
  method: "GET",
  path: /^\/api\/v1\/repositories$/,
  async handle(context: WebContext, route) {
    const signed = await signedApi(context, route);
    if (!signed) return;
    const visible = await signed.access.visibleRepositories();
    const summaries = await summarizeRepositories(signed.db.reader, visible, startOfUtcDay(context.now()));
    sendJson(route.response, 200, { repositories: summaries });
  },
};

/** `/api/v1/`: the same data and rules as the pages, as JSON. */
export const apiRoutes: Route[] = [tasks, task, steps, transcript, stop, repositories];
