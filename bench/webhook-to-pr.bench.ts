import { cleanEnv, type RunningCli, startCli, waitForHttp } from "../test/helpers/cli-process.ts";
import { freePort } from "../test/helpers/free-port.ts";
import {
  commentPayload,
  deliverWebhook,
  type GitHubWorld,
  startGitHubWorld,
  useRepositoryConfig,
} from "../test/helpers/github-world.ts";
import type { BenchSection } from "./run.ts";

/** Fresh `loopwright serve` processes; the first task of each runs on a cold repository cache. */
const PROCESSES = 3;
/** Tasks per process after the first one: same repository, warm mirror cache. */
const WARM_RUNS = 6;
const TIMEOUT_MS = 60_000;
/**
 * Idle time before each warm task. Octokit spaces content-creating requests (comments, pull requests,
 * review requests) of one installation at least 3 s apart; the pause keeps one task's last request
 * from delaying the next task's progress comment, so the figures show each task's own path.
 */
const PAUSE_MS = 3_500;

/** Milliseconds from the webhook POST to each milestone of one `/agent fix` task. */
type Timeline = {
  response: number;
  issueRead: number;
  progressComment: number;
  firstModelRequest: number;
  pullRequest: number;
};
const MILESTONES: { key: keyof Timeline; label: string }[] = [
  { key: "response", label: "webhook HTTP response" },
  { key: "issueRead", label: "issue read by the worker" },
  { key: "progressComment", label: "progress comment posted" },
  { key: "firstModelRequest", label: "first model request" },
  { key: "pullRequest", label: "PR creation request" },
];

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** Delivers `/agent fix` on one issue and waits until the task has ended (final progress edit). */
async function runTask(world: GitHubWorld, port: number, issue: number, pullNumber: number) {
  const modelRequestsBefore = world.openai.arrivals.length;
  const sent = Date.now();
  const response = await deliverWebhook(`http://127.0.0.1:${port}/api/github/webhooks`, world.webhookSecret, {
    name: "issue_comment",
    id: `bench-${issue}-${sent}`,
    payload: commentPayload(world, "/agent fix", issue),
  });
  const answered = Date.now();
  if (response.status !== 202)
    throw new Error(`webhook answered ${response.status}: ${await response.text()}`);
  const issueRead = await world.github.waitFor("GET", new RegExp(`/issues/${issue}$`), TIMEOUT_MS);
  const comment = await world.github.waitFor("POST", new RegExp(`/issues/${issue}/comments$`), TIMEOUT_MS);
  const pull = await world.github.waitFor("POST", /\/pulls$/, TIMEOUT_MS, (request) =>
    (request.body as { head: string }).head.startsWith(`agent/issue-${issue}-`),
  );
  // The task ends with the progress comment showing the pull request; the next task starts after.
  await world.github.waitFor("PATCH", /\/issues\/comments\/\d+$/, TIMEOUT_MS, (request) =>
    (request.body as { body: string }).body.includes(`Opened [#${pullNumber}]`),
  );
  const firstModelRequest = world.openai.arrivals[modelRequestsBefore];
  if (firstModelRequest === undefined) throw new Error(`issue #${issue}: no model request recorded`);
  return {
    response: answered - sent,
    issueRead: issueRead.receivedAt - sent,
    progressComment: comment.receivedAt - sent,
    firstModelRequest: firstModelRequest - sent,
    pullRequest: pull.receivedAt - sent,
  } satisfies Timeline;
}

/**
 * One serve process on a fresh data folder: its start-up time, one cold task, warm tasks with a
 * pause before each, then as many back to back (each sent as soon as the previous one ended).
 */
async function runProcess(): Promise<{
  startupMs: number;
  cold: Timeline;
  warm: Timeline[];
  backToBack: Timeline[];
}> {
  const world = await startGitHubWorld({ fixture: "sum", transcript: "fix-sum" });
  // One requester sends every task: the repository's config lifts the hourly limits for the bench.
  useRepositoryConfig(world, "limits:\n  per_requester_per_hour: 1000\n  per_repository_per_hour: 1000\n");
  let server: RunningCli | undefined;
  try {
    const port = await freePort();
    const started = Date.now();
    server = startCli(["serve"], {
      env: cleanEnv(world.env({ PORT: String(port), LOG_LEVEL: process.env.BENCH_LOG ?? "warn" })),
    });
    await waitForHttp(`http://127.0.0.1:${port}/ready`, server, { status: 200, timeoutMs: TIMEOUT_MS });
    const startupMs = Date.now() - started;
    const timelines: Timeline[] = [];
    for (let run = 0; run <= 2 * WARM_RUNS; run += 1) {
      if (run > 0 && run <= WARM_RUNS) await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
      // The fake GitHub numbers pull requests from 2 in creation order.
      timelines.push(
        await runTask(world, port, run + 1, run + 2).catch((error: Error) => {
          throw new Error(`${error.message}\nserver output:\n${server?.output()}`);
        }),
      );
    }
    const [cold, ...rest] = timelines;
    return { startupMs, cold: cold!, warm: rest.slice(0, WARM_RUNS), backToBack: rest.slice(WARM_RUNS) };
  } finally {
    server?.child.kill("SIGTERM");
    await server?.exited;
    await world.close();
  }
}

/**
 * `/agent fix` from webhook to pull request against the real `loopwright serve` process (embedded
 * database, bubblewrap sandbox where it works) with the fake GitHub and OpenAI servers of the
 * end-to-end test: the webhook's HTTP response time, then the time to the progress comment, the
 * first model request and the PR creation request, for the first task of a fresh process (cold
 * mirror cache) and for later tasks on the same repository (warm). The model replays the 7-turn
 * `fix-sum` transcript instantly, so the figures are Loopwright's own overhead.
 *
 * @example
 * // node bench/run.ts webhook-to-pr
 * const section = await webhookToPrBench();
 */
export default async function webhookToPrBench(): Promise<BenchSection> {
  const processes: Awaited<ReturnType<typeof runProcess>>[] = [];
  for (let i = 0; i < PROCESSES; i += 1) {
    console.error(`bench: webhook-to-pr process ${i + 1}/${PROCESSES}`);
    processes.push(await runProcess());
  }
  const cold = processes.map((entry) => entry.cold);
  const warm = processes.flatMap((entry) => entry.warm);
  const backToBack = processes.flatMap((entry) => entry.backToBack);
  const ms = (value: number) => `${Math.round(value)}`;
  const rows = MILESTONES.map(({ key, label }) => {
    const of = (timelines: Timeline[], p: number) =>
      percentile(
        timelines.map((timeline) => timeline[key]),
        p,
      );
    const baseline = of(cold, 50);
    const cell = (value: number) => `${ms(value)} (${(value / baseline).toFixed(2)}×)`;
    return `| ${label} | ${ms(baseline)} | ${cell(of(warm, 50))} | ${cell(of(warm, 95))} | ${cell(of(backToBack, 50))} | ${cell(of(backToBack, 95))} |`;
  });
  const startup = percentile(
    processes.map((entry) => entry.startupMs),
    50,
  );
  const firstModelWarm = percentile(
    warm.map((timeline) => timeline.firstModelRequest),
    50,
  );
  return {
    title: "Webhook to pull request (loopwright serve, fake GitHub and OpenAI)",
    markdown: [
      `${PROCESSES} fresh \`loopwright serve\` processes (embedded database); in each, one cold task`,
      `(first after start, empty mirror cache), ${WARM_RUNS} warm tasks on the same repository`,
      `${PAUSE_MS / 1000} s apart, then ${WARM_RUNS} more back to back (each sent when the previous one ended).`,
      "Milliseconds from the signed `issue_comment` webhook POST to the request arriving at the fake",
      "server; the model answers instantly (7 turns). Ratios compare with the cold median (the baseline).",
      "The PR creation request cannot come sooner than 3 s after the progress comment: Octokit spaces an",
      "installation's content-creating requests 3 s apart (GitHub's secondary rate limits), which",
      "Loopwright keeps; back to back, a task's progress comment also waits for the previous task's last",
      "such request, but the first model request no longer waits for the progress comment.",
      "",
      `| from the webhook POST to | cold, median of ${cold.length} (baseline) | warm median of ${warm.length} | warm p95 | back-to-back median of ${backToBack.length} | back-to-back p95 |`,
      "|---|---:|---:|---:|---:|---:|",
      ...rows,
      "",
      `Process start to \`/ready\` on a new data folder (the embedded database is created): ${ms(startup)} ms (median). Target, first model request < 2,000 ms warm: ${
        firstModelWarm < 2_000 ? "met" : "missed"
      } (${ms(firstModelWarm)} ms).`,
    ].join("\n"),
  };
}
