import { formatCount } from "../agent/event-summary.ts";
import type { TaskPage } from "../store/task-history.ts";
import { TASK_STATUSES } from "../store/tasks.ts";
import { html, type SafeHtml } from "./html.ts";
import { formatTime, layout, type PageViewer, statusLabel, taskDuration, taskTarget } from "./layout.ts";

/** The list's filters as given in the query string (already validated). */
export type TaskListQuery = {
  repository?: string | undefined;
  kind?: string | undefined;
  status?: string | undefined;
  requester?: string | undefined;
  before?: number | undefined;
};

const KINDS = ["fix", "iterate", "review", "maintain", "submit", "eval"];

/** The query string for the same filters on another page. */
export function taskListHref(base: string, query: TaskListQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== "") params.set(key, String(value));
  }
  const search = params.toString();
  return search === "" ? base : `${base}?${search}`;
}

/**
 * The task list: filters (repository, kind, status, requester), newest first, and a link to the
 * next (older) page.
 *
 * @example
 * sendHtml(response, 200, tasksPage({ page, query, repositories, viewer, now: new Date() }));
 */
export function tasksPage(input: {
  page: TaskPage;
  query: TaskListQuery;
  /** Repositories offered in the filter (those the viewer can see). */
  repositories: readonly string[];
  viewer: PageViewer;
  now: Date;
}): SafeHtml {
  const { page, query, now } = input;
  const filters = { ...query, before: undefined };
  const option = (value: string, selected: string | undefined, label = value) =>
    html`<option value="${value}"${value === selected ? html` selected` : ""}>${label}</option>`;
  const rows = page.tasks.map(
    (task) => html`<tr>
<td class="num"><a href="/dashboard/tasks/${task.id}">#${task.id}</a></td>
<td>${statusLabel(task.status)}</td>
<td>${task.kind}</td>
<td><a href="/dashboard/tasks/${task.id}">${taskTarget(task)}</a></td>
<td class="wide">${task.requester ?? "–"}</td>
<td class="wide mono">${formatTime(task.createdAt)}</td>
<td class="num wide">${taskDuration(task, now)}</td>
<td class="num wide">${formatCount(task.tokens)}</td>
</tr>`,
  );
  const body = html`<h1>Tasks</h1>
<form class="filters" method="get" action="/dashboard">
<label>Repository<input name="repository" list="repositories" value="${query.repository ?? ""}" placeholder="owner/name"></label>
<datalist id="repositories">${input.repositories.map((name) => html`<option value="${name}">`)}</datalist>
<label>Kind<select name="kind">${option("", query.kind, "any")}${KINDS.map((kind) => option(kind, query.kind))}</select></label>
<label>Status<select name="status">${option("", query.status, "any")}${TASK_STATUSES.map((status) => option(status, query.status))}</select></label>
<label>Requester<input name="requester" value="${query.requester ?? ""}" placeholder="login"></label>
<button class="btn" type="submit">Filter</button>
<a href="/dashboard">Clear</a>
</form>
${
  page.tasks.length === 0
    ? html`<div class="notice">No tasks${query.before === undefined ? "" : " on this page"} match.</div>`
    : html`<div class="box"><table>
<thead><tr><th class="num">Task</th><th>Status</th><th>Kind</th><th>Repository</th><th class="wide">Requester</th><th class="wide">Created</th><th class="num wide">Time</th><th class="num wide">Tokens</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`
}
<div class="pager">
${query.before === undefined ? "" : html`<a href="${taskListHref("/dashboard", filters)}">← Newest</a>`}
${page.next === undefined ? "" : html`<a href="${taskListHref("/dashboard", { ...filters, before: page.next })}">Older →</a>`}
</div>`;
  return layout({ title: "Tasks", viewer: input.viewer, body });
}
