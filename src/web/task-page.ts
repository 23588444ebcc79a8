import { formatCount, formatDuration } from "../agent/event-summary.ts";
import type { PlanItem } from "../agent/tools/tool.ts";
import { FINISHED_STATUSES, type Task } from "../store/tasks.ts";
import { html, type SafeHtml } from "./html.ts";
import { formatTime, layout, type PageViewer, statusLabel, taskDuration, taskTarget } from "./layout.ts";
import { latestPlan, type StepView } from "./step-view.ts";

/**
 * One step of the log as a list item: a summary line (place, tool or kind, what it ran, exit code,
 * tokens, time) that opens onto the output. Also what the live feed sends.
 *
 * @example
 * list.append(stepItem(toStepView(step)));
 */
export function stepItem(view: StepView): SafeHtml {
  const exit =
    view.exitCode === null
      ? ""
      : html`<span class="${view.exitCode === 0 ? "exit-ok" : "exit-bad"}">exit ${view.exitCode}</span>`;
  const cost = [
    view.tokens === null ? "" : `${formatCount(view.tokens)} tokens`,
    view.durationMs === null ? "" : formatDuration(view.durationMs),
  ]
    .filter((part) => part !== "")
    .join(" · ");
  const plan = view.plan ? planList(view.plan) : "";
  const output = view.output.trim() === "" ? "" : html`<pre>${view.output}</pre>`;
  return html`<li id="step-${view.id}" class="${view.failed ? "failed" : ""}"><details${view.failed ? html` open` : ""}>
<summary><span class="step-id mono">${view.id}</span><span class="step-title">${view.title}</span><span class="step-detail">${view.detail}</span>${exit}<span class="step-cost">${cost}</span></summary>
${plan}${output}
</details></li>`;
}

/** The plan checklist. */
export function planList(plan: readonly PlanItem[]): SafeHtml {
  if (plan.length === 0) return html`<p class="muted">No plan yet.</p>`;
  return html`<ul class="plan">${plan.map((item) => html`<li class="${item.status}">${item.step}</li>`)}</ul>`;
}

/** The task's token count as the page shows it. */
export function tokensText(task: Task): string {
  return formatCount(task.tokens);
}

/** Where a task's issue or pull request is on GitHub, when it has one. */
export function issueUrl(task: Task, githubUrl: string): string | undefined {
  if (task.number === null || !/^[\w.-]+\/[\w.-]+$/.test(task.repository)) return undefined;
  return `${githubUrl}/${task.repository}/issues/${task.number}`;
}

/**
 * The task page: status, links to the issue and pull request, the plan, every step with its output,
 * the transcript (download and the `loopwright replay` command line) and, for viewers with write
 * access to an unfinished task, the stop button. A running task's steps follow live (SSE) when
 * scripts run; the page is complete without them.
 *
 * @example
 * sendHtml(response, 200, taskPage({ task, steps, viewer, canStop, githubUrl, now: new Date() }));
 */
export function taskPage(input: {
  task: Task;
  steps: readonly StepView[];
  viewer: PageViewer;
  canStop: boolean;
  githubUrl: string;
  now: Date;
}): SafeHtml {
  const { task, steps, viewer } = input;
  const finished = FINISHED_STATUSES.includes(task.status);
  const issue = issueUrl(task, input.githubUrl);
  const cursor = steps.at(-1)?.id ?? "0.-1";
  const baseSha = steps.findLast((step) => step.kind === "workspace")?.detail.split(" at ")[1];
  const transcriptFile = `task-${task.id}.jsonl`;
  const stop =
    input.canStop && !finished
      ? html`<form id="stop" method="post" action="/dashboard/tasks/${task.id}/stop">
<input type="hidden" name="csrf" value="${viewer.csrf ?? ""}">
<button class="btn btn-danger" type="submit">${task.cancelRequested ? "Stopping…" : "Stop task"}</button>
</form>`
      : "";
  const body = html`<h1>#${task.id} ${task.kind} · ${taskTarget(task)} <span id="status">${statusLabel(task.status)}</span>
<span id="live" class="live" hidden>● live</span></h1>
${stop}
<dl class="meta">
${issue ? html`<dt>Issue</dt><dd><a href="${issue}">${taskTarget(task)}</a></dd>` : ""}
${task.prUrl ? html`<dt>Pull request</dt><dd><a href="${task.prUrl}">${task.prUrl}</a></dd>` : ""}
<dt>Requested by</dt><dd>${task.requester ?? "–"} via ${task.trigger}</dd>
<dt>Created</dt><dd>${formatTime(task.createdAt)}</dd>
<dt>Time</dt><dd>${taskDuration(task, input.now)}</dd>
<dt>Tokens</dt><dd id="tokens">${tokensText(task)}</dd>
<dt>Attempt</dt><dd>${task.attempt}${task.worker ? ` on ${task.worker}` : ""}</dd>
${task.error ? html`<dt>Error</dt><dd>${task.error}</dd>` : ""}
</dl>
<h2>Plan</h2>
<div id="plan">${planList(latestPlan(steps))}</div>
<h2>Steps</h2>
<div class="box"><ol class="steps" id="steps"${finished ? "" : html` data-live="/dashboard/tasks/${task.id}/events?after=${cursor}"`}>
${steps.length === 0 ? html`<li id="no-steps" class="muted">No steps yet.</li>` : steps.map(stepItem)}
</ol></div>
<h2>Transcript</h2>
<p><a href="/dashboard/tasks/${task.id}/transcript.jsonl" download="${transcriptFile}">Download ${transcriptFile}</a>
(the model's turns of the latest attempt). Replay it in a checkout of ${task.repository}${baseSha ? ` at ${baseSha}` : ""}:</p>
<pre class="box command">loopwright replay ${transcriptFile} --cwd path/to/checkout</pre>
${finished ? "" : html`<script src="/dashboard/assets/live.js" defer></script>`}`;
  return layout({ title: `Task #${task.id}`, viewer, body });
}
