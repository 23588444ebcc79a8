import { formatDuration } from "../agent/event-summary.ts";
import type { Task } from "../store/tasks.ts";
import { html, type SafeHtml } from "./html.ts";

/** The signed-in person shown in the header, with what the sign-out form needs. */
export type PageViewer = { login: string; csrf: string | undefined };

/**
 * A whole dashboard page: header with navigation and the signed-in user, then `body`.
 *
 * @example
 * sendHtml(response, 200, layout({ title: "Tasks", viewer, body: html`<p>…</p>` }));
 */
export function layout(page: { title: string; viewer: PageViewer | undefined; body: SafeHtml }): SafeHtml {
  const viewer = page.viewer;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · Loopwright</title>
<link rel="stylesheet" href="/dashboard/assets/style.css">
</head>
<body>
<header class="top">
<a class="brand" href="/dashboard">Loopwright</a>
<nav>${viewer ? html`<a href="/dashboard">Tasks</a><a href="/dashboard/repositories">Repositories</a>` : ""}</nav>
${
  viewer
    ? html`<span class="muted">${viewer.login}</span>${
        viewer.csrf
          ? html`<form method="post" action="/dashboard/sign-out"><input type="hidden" name="csrf" value="${viewer.csrf}"><button class="btn" type="submit">Sign out</button></form>`
          : ""
      }`
    : ""
}
</header>
<main>
${page.body}
</main>
</body>
</html>
`;
}

/**
 * A task's status as a coloured label.
 *
 * @example
 * statusLabel("running"); // <span class="label status-running">running</span>
 */
export function statusLabel(status: Task["status"]): SafeHtml {
  return html`<span class="label status-${status}">${status.replace("_", " ")}</span>`;
}

/** "2026-05-01 17:45:03 UTC", or "–". */
export function formatTime(date: Date | null): string {
  return date ? `${date.toISOString().slice(0, 19).replace("T", " ")} UTC` : "–";
}

/** How long a task ran (so far, when it still runs); "–" before it started. */
export function taskDuration(task: Task, now: Date): string {
  if (!task.startedAt) return "–";
  return formatDuration((task.finishedAt ?? now).getTime() - task.startedAt.getTime());
}

/** "owner/name#12", or the repository alone. */
export function taskTarget(task: Task): string {
  return task.number === null ? task.repository : `${task.repository}#${task.number}`;
}
