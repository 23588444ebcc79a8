import { latestStepOfKind } from "../store/latest-step.ts";
import type { Task } from "../store/tasks.ts";
import { getTask } from "../store/tasks.ts";
import { statusLabel } from "./layout.ts";
import { parseCursor, parseTaskId } from "./list-query.ts";
import { sendJson } from "./respond.ts";
import { signedApi } from "./signed-request.ts";
import type { FeedMessage } from "./step-feed.ts";
import { latestPlan, toStepView } from "./step-view.ts";
import { planList, stepItem, tokensText } from "./task-page.ts";
import type { Route } from "./web-context.ts";

const HEARTBEAT_MS = 15_000;

/**
 * `GET /dashboard/tasks/ID/events?after=A.S` (and the same under /api/v1): the task's new steps as
 * Server-Sent Events — `step` (the step as JSON plus its rendered list item), `task` (status, plan
 * and tokens, rendered), `end` once it has finished. `Last-Event-ID` resumes after a reconnect.
 * Everyone watching a task shares one poller (see `createStepFeed`).
 */
export const liveRoute: Route = {
  method: "GET",
  path: /^\/(?:dashboard|api\/v1)\/tasks\/([^/]+)\/events$/,
  async handle(context, route) {
    const signed = await signedApi(context, route);
    if (!signed) return;
    const { request, response } = route;
    const id = parseTaskId(route.params[0]);
    const task = id === undefined ? undefined : await getTask(signed.db.reader, id);
    if (!task || !(await signed.access.canRead(task.repository))) {
      return sendJson(response, 404, { error: `there is no task ${route.params[0]}, or you cannot see it` });
    }
    const resumed = request.headers["last-event-id"];
    const cursor = parseCursor(typeof resumed === "string" ? resumed : route.url.searchParams.get("after"));
    if (!cursor.ok) return sendJson(response, 400, { error: cursor.error });
    // The plan shown with status updates is the task's latest, not only from the steps this stream sends.
    const planStep = await latestStepOfKind(signed.db.reader, task.id, "plan_update");
    let plan = latestPlan(planStep ? [toStepView(planStep)] : []);

    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
      connection: "keep-alive",
    });
    response.write("retry: 2000\n\n");
    const send = (event: string, data: unknown, id?: string) =>
      response.write(`event: ${event}\n${id ? `id: ${id}\n` : ""}data: ${JSON.stringify(data)}\n\n`);
    const taskMessage = (current: Task) => ({
      status: current.status,
      tokens: current.tokens,
      statusHtml: statusLabel(current.status).value,
      planHtml: planList(plan).value,
      tokensHtml: tokensText(current),
    });
    const heartbeat = setInterval(() => response.write(": keep-alive\n\n"), HEARTBEAT_MS);
    heartbeat.unref();
    const unsubscribe = context.feed.subscribe(
      task.id,
      cursor.value ?? { attempt: 0, seq: -1 },
      (message: FeedMessage) => {
        if (message.type === "steps") {
          for (const step of message.steps) {
            const view = toStepView(step);
            if (view.plan) plan = view.plan;
            const planHtml = view.plan ? planList(view.plan).value : undefined;
            send("step", { id: view.id, kind: view.kind, html: stepItem(view).value, planHtml }, view.id);
          }
        } else if (message.type === "task") {
          send("task", taskMessage(message.task));
        } else {
          send("end", {});
          close();
        }
      },
    );
    function close() {
      clearInterval(heartbeat);
      unsubscribe();
      response.end();
    }
    request.on("close", close);
  },
};
