import { formatCount } from "../agent/event-summary.ts";
import type { RepositorySummary } from "../store/task-history.ts";
import { html, type SafeHtml } from "./html.ts";
import { formatTime, layout, type PageViewer } from "./layout.ts";
import { taskListHref } from "./tasks-page.ts";

/**
 * The repositories the viewer can see, with today's tokens (UTC, the daily budget's count) and
 * their task counts.
 *
 * @example
 * sendHtml(response, 200, repositoriesPage({ summaries, viewer }));
 */
export function repositoriesPage(input: {
  summaries: readonly RepositorySummary[];
  viewer: PageViewer;
}): SafeHtml {
  const rows = input.summaries.map(
    (row) => html`<tr>
<td><a href="${taskListHref("/dashboard", { repository: row.repository })}">${row.repository}</a></td>
<td class="num">${formatCount(row.tokensToday)}</td>
<td class="num">${row.active}</td>
<td class="num">${row.tasks}</td>
<td class="num wide">${row.succeeded}</td>
<td class="num wide">${row.failed}</td>
<td class="wide mono">${formatTime(row.lastTaskAt)}</td>
</tr>`,
  );
  const body = html`<h1>Repositories</h1>
${
  input.summaries.length === 0
    ? html`<div class="notice">No tasks yet in the repositories you can see.</div>`
    : html`<div class="box"><table>
<thead><tr><th>Repository</th><th class="num">Tokens today</th><th class="num">Active</th><th class="num">Tasks</th><th class="num wide">Succeeded</th><th class="num wide">Failed</th><th class="wide">Last task</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>
<p class="muted">Tokens today count the tasks created since midnight UTC, as the daily budget does.</p>`
}`;
  return layout({ title: "Repositories", viewer: input.viewer, body });
}
