/**
 * The dashboard's stylesheet: GitHub's Primer colours and the system font stack, one column on a
 * phone. Served at /dashboard/assets/style.css (pages allow no inline styles).
 */
export const STYLESHEET = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --border: #d1d9e0; --subtle: #f6f8fa;
  --accent: #0969da; --success: #1a7f37; --danger: #d1242f; --attention: #9a6700; --done: #8250df; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; font: 14px/1.5 -apple-system, BlinkMacSystemFont,
  "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, monospace; font-size: 12px; }
header.top { background: #f6f8fa; border-bottom: 1px solid var(--border); padding: 12px 16px; display: flex;
  gap: 16px; align-items: center; flex-wrap: wrap; }
header.top .brand { font-weight: 600; color: var(--fg); font-size: 16px; }
header.top nav { display: flex; gap: 12px; flex: 1; }
header.top form { margin: 0; }
main { max-width: 1012px; margin: 0 auto; padding: 16px; }
h1 { font-size: 20px; font-weight: 600; margin: 8px 0 16px; word-break: break-word; }
h2 { font-size: 16px; font-weight: 600; margin: 24px 0 8px; }
.muted { color: var(--muted); }
.box { border: 1px solid var(--border); border-radius: 6px; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 8px 12px; border-top: 1px solid var(--border); vertical-align: top; }
thead th { border-top: 0; background: var(--subtle); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.label { display: inline-block; padding: 0 7px; border: 1px solid currentColor; border-radius: 2em;
  font-size: 12px; font-weight: 500; line-height: 18px; white-space: nowrap; }
.status-queued { color: var(--muted); } .status-running { color: var(--attention); }
.status-succeeded { color: var(--success); } .status-failed, .status-budget_exhausted { color: var(--danger); }
.status-cancelled { color: var(--done); }
.btn { display: inline-block; padding: 5px 16px; border: 1px solid var(--border); border-radius: 6px;
  background: var(--subtle); color: var(--fg); font: inherit; font-weight: 500; cursor: pointer; }
.btn-primary { background: #1f883d; border-color: #1f883d; color: #fff; }
.btn-danger { color: var(--danger); }
.btn-danger:hover { background: var(--danger); color: #fff; }
form.filters { display: flex; flex-wrap: wrap; gap: 8px; margin-bottom: 12px; align-items: end; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 2px; }
input, select { font: inherit; padding: 4px 8px; border: 1px solid var(--border); border-radius: 6px;
  background: #fff; color: var(--fg); min-width: 0; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0 0 16px; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; word-break: break-word; }
ul.plan { list-style: none; padding: 0; margin: 0; }
ul.plan li::before { display: inline-block; width: 1.6em; }
ul.plan li.completed::before { content: "☑"; color: var(--success); }
ul.plan li.in_progress::before { content: "◐"; color: var(--attention); }
ul.plan li.pending::before { content: "☐"; color: var(--muted); }
ol.steps { list-style: none; padding: 0; margin: 0; }
ol.steps > li { border-top: 1px solid var(--border); }
ol.steps > li:first-child { border-top: 0; }
ol.steps details > summary { padding: 8px 12px; cursor: pointer; display: flex; gap: 8px; flex-wrap: wrap;
  align-items: baseline; list-style: none; }
ol.steps details > summary::-webkit-details-marker { display: none; }
ol.steps .step-id { color: var(--muted); min-width: 3em; }
ol.steps .step-title { font-weight: 600; }
ol.steps .step-detail { flex: 1 1 16em; min-width: 0; overflow-wrap: anywhere; }
ol.steps .step-cost { color: var(--muted); white-space: nowrap; }
ol.steps pre { margin: 0; padding: 8px 12px; background: var(--subtle); overflow-x: auto; white-space: pre-wrap;
  overflow-wrap: anywhere; max-height: 480px; }
ol.steps li.failed .step-title { color: var(--danger); }
.exit-ok { color: var(--success); } .exit-bad { color: var(--danger); }
form#stop { margin: 0 0 12px; }
pre.command { margin: 0; padding: 8px 12px; background: var(--subtle); white-space: pre-wrap; overflow-wrap: anywhere; }
.pager { display: flex; gap: 16px; margin-top: 12px; }
.notice { border: 1px solid var(--border); border-radius: 6px; padding: 16px; background: var(--subtle); }
.live { color: var(--attention); font-size: 12px; }
@media (max-width: 600px) { th.wide, td.wide { display: none; } main { padding: 8px; } }
`;

/**
 * The live step log: follows the task's Server-Sent Events, appends each new step (rendered and
 * escaped by the server), updates the status and plan, and removes the stop button once the task
 * has ended. Pages work without it; it only adds live updates.
 */
export const LIVE_SCRIPT = `
(() => {
  const list = document.getElementById("steps");
  if (!list || !list.dataset.live || !window.EventSource) return;
  const source = new EventSource(list.dataset.live);
  const live = document.getElementById("live");
  if (live) live.hidden = false;
  const replace = (id, markup) => { const node = document.getElementById(id); if (node) node.innerHTML = markup; };
  source.addEventListener("step", (event) => {
    const message = JSON.parse(event.data);
    if (document.getElementById("step-" + message.id)) return;
    list.insertAdjacentHTML("beforeend", message.html);
    if (message.planHtml) replace("plan", message.planHtml);
    const empty = document.getElementById("no-steps");
    if (empty) empty.remove();
  });
  source.addEventListener("task", (event) => {
    const message = JSON.parse(event.data);
    replace("status", message.statusHtml);
    replace("plan", message.planHtml);
    replace("tokens", message.tokensHtml);
  });
  source.addEventListener("end", () => {
    source.close();
    if (live) live.hidden = true;
    const stop = document.getElementById("stop");
    if (stop) stop.remove();
  });
})();
`;
