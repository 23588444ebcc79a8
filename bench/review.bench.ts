import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { cleanEnv, type RunningCli, startCli, waitForHttp } from "../test/helpers/cli-process.ts";
import { freePort } from "../test/helpers/free-port.ts";
import { deliverWebhook, type GitHubWorld, startGitHubWorld } from "../test/helpers/github-world.ts";
import { addReviewRoutes, pullRequestPayload, submitReviewTurn } from "../test/helpers/review-world.ts";
import { git, removeDir, tempDir } from "../test/workspace/helpers/git-repos.ts";
import type { BenchSection } from "./run.ts";
import { quantile } from "./timing.ts";

/** Fresh `loopwright serve` processes; the first review of each runs on a cold repository cache. */
const PROCESSES = 2;
/** Reviews per process after the first (new pull requests of the same repository: warm cache). */
const WARM_RUNS = 5;
const FILES = 20;
const LINES_PER_FILE = 25;
const TIMEOUT_MS = 60_000;
/** Octokit spaces an installation's content-creating requests 3 s apart; the pause keeps runs apart. */
const PAUSE_MS = 3_500;

/** Pushes a head with 20 new files of 25 lines (500 changed lines) to `feature`; returns its sha. */
function pushLargePullRequest(remote: string): string {
  const root = tempDir("bench-review");
  try {
    const work = path.join(root, "work");
    git(root, "clone", "--quiet", remote, "work");
    git(work, "checkout", "--quiet", "-b", "feature");
    mkdirSync(path.join(work, "src"), { recursive: true });
    for (let file = 1; file <= FILES; file += 1) {
      const lines = Array.from(
        { length: LINES_PER_FILE },
        (_, line) =>
          `export const value${file}_${line} = ${file} * ${line} + Number(process.env.OFFSET ?? 0);`,
      );
      writeFileSync(
        path.join(work, "src", `module${String(file).padStart(2, "0")}.js`),
        `${lines.join("\n")}\n`,
      );
    }
    git(work, "add", "-A");
    git(work, "commit", "--quiet", "-m", "500 lines over 20 files");
    git(work, "push", "--quiet", "origin", "HEAD:refs/heads/feature");
    return git(work, "rev-parse", "HEAD");
  } finally {
    removeDir(root);
  }
}

/** A review that reads a file, searches, then submits three findings: three model turns. */
const REVIEW_TURNS = [
  {
    output: [
      {
        type: "function_call",
        name: "read_file",
        call_id: "call_read",
        arguments: JSON.stringify({ path: "src/module01.js" }),
      },
    ],
  },
  {
    output: [
      {
        type: "function_call",
        name: "search",
        call_id: "call_search",
        arguments: JSON.stringify({ pattern: "OFFSET" }),
      },
    ],
  },
  submitReviewTurn(
    [1, 7, 13].map((file) => ({
      title: `module${String(file).padStart(2, "0")} reads OFFSET from the environment at import time`,
      body: "A later change of OFFSET is never seen.",
      priority: "P1",
      confidence: 0.7,
      path: `src/module${String(file).padStart(2, "0")}.js`,
      start_line: 3,
      end_line: 4,
      side: "RIGHT",
    })),
  ),
];

type Timeline = { response: number; checkStarted: number; reviewPosted: number; checkCompleted: number };

async function runReview(
  world: GitHubWorld,
  port: number,
  number: number,
  headSha: string,
): Promise<Timeline> {
  git(world.remote, "update-ref", `refs/pull/${number}/head`, headSha);
  const sent = Date.now();
  const response = await deliverWebhook(`http://127.0.0.1:${port}/api/github/webhooks`, world.webhookSecret, {
    name: "pull_request",
    id: `bench-review-${number}-${sent}`,
    payload: pullRequestPayload(world, { action: "opened", number, headSha }),
  });
  const answered = Date.now();
  if (response.status !== 202) throw new Error(`webhook answered ${response.status}`);
  const checks = world.github.requests.filter((request) => /\/check-runs$/.test(request.path)).length;
  const started = await world.github.waitFor(
    "POST",
    /\/check-runs$/,
    TIMEOUT_MS,
    (request) =>
      world.github.requests.filter((candidate) => /\/check-runs$/.test(candidate.path)).indexOf(request) >=
      checks,
  );
  const review = await world.github.waitFor("POST", new RegExp(`/pulls/${number}/reviews$`), TIMEOUT_MS);
  const completed = await world.github.waitFor(
    "PATCH",
    /\/check-runs\/\d+$/,
    TIMEOUT_MS,
    (request) =>
      request.receivedAt >= review.receivedAt && (request.body as { status?: string }).status === "completed",
  );
  return {
    response: answered - sent,
    checkStarted: started.receivedAt - sent,
    reviewPosted: review.receivedAt - sent,
    checkCompleted: completed.receivedAt - sent,
  };
}

/**
 * Bytes of each model request of the first review, and how many of them the previous request
 * already carried: the same instructions and tools, and the previous input items unchanged at the
 * start of this input (the append-only history that makes the provider's prompt cache apply).
 */
function requestBytes(world: GitHubWorld): { sizes: number[]; resent: number[] } {
  const firstKey = world.openai.requests[0]?.prompt_cache_key;
  const requests = world.openai.requests.filter((request) => request.prompt_cache_key === firstKey);
  const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? "");
  const sizes = requests.map((request) => bytes(request));
  const resent = requests.map((request, index) => {
    const previous = requests[index - 1];
    if (previous === undefined) return 0;
    const sameHead =
      previous.instructions === request.instructions && bytes(previous.tools) === bytes(request.tools);
    const before = (previous.input as unknown[]) ?? [];
    const now = (request.input as unknown[]) ?? [];
    let kept = 0;
    while (kept < before.length && JSON.stringify(before[kept]) === JSON.stringify(now[kept])) kept += 1;
    const items = now.slice(0, kept).reduce<number>((sum, item) => sum + bytes(item), 0);
    return (sameHead ? bytes(request.instructions) + bytes(request.tools) : 0) + items;
  });
  return { sizes, resent };
}

async function runProcess(): Promise<{
  cold: Timeline;
  warm: Timeline[];
  bytes: ReturnType<typeof requestBytes>;
}> {
  const world = await startGitHubWorld({ fixture: "sum", transcript: () => REVIEW_TURNS });
  addReviewRoutes(world, "Add 20 modules");
  let server: RunningCli | undefined;
  try {
    const head = pushLargePullRequest(world.remote);
    const port = await freePort();
    server = startCli(["serve"], {
      env: cleanEnv(world.env({ PORT: String(port), LOG_LEVEL: process.env.BENCH_LOG ?? "warn" })),
    });
    await waitForHttp(`http://127.0.0.1:${port}/ready`, server, { status: 200, timeoutMs: TIMEOUT_MS });
    const timelines: Timeline[] = [];
    for (let run = 0; run <= WARM_RUNS; run += 1) {
      if (run > 0) await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
      timelines.push(
        await runReview(world, port, run + 2, head).catch((error: Error) => {
          throw new Error(`${error.message}\nserver output:\n${server?.output()}`);
        }),
      );
    }
    const [cold, ...warm] = timelines;
    if (!cold) throw new Error("no review ran");
    return { cold, warm, bytes: requestBytes(world) };
  } finally {
    server?.child.kill("SIGTERM");
    await server?.exited;
    await world.close();
  }
}

/**
 * Automatic review from the `pull_request.opened` webhook to the review being posted, against the
 * real `loopwright serve` process with the fake GitHub and OpenAI servers of the end-to-end test:
 * a pull request of 500 changed lines over 20 files, the model answering instantly (read a file,
 * search, submit three findings). Cold: the first review of a fresh process (empty mirror cache);
 * warm: later pull requests of the same repository. Also the bytes of each model request and how
 * many of them repeat the previous request (the stateless loop resends its whole input).
 *
 * @example
 * // node bench/run.ts review
 */
export default async function reviewBench(): Promise<BenchSection> {
  const results: Awaited<ReturnType<typeof runProcess>>[] = [];
  for (let index = 0; index < PROCESSES; index += 1) {
    console.error(`bench: review process ${index + 1}/${PROCESSES}`);
    results.push(await runProcess());
  }
  const cold = results.map((result) => result.cold);
  const warm = results.flatMap((result) => result.warm);
  const median = (timelines: Timeline[], key: keyof Timeline) =>
    quantile(
      timelines.map((timeline) => timeline[key]).sort((a, b) => a - b),
      0.5,
    );
  const p95 = (timelines: Timeline[], key: keyof Timeline) =>
    quantile(
      timelines.map((timeline) => timeline[key]).sort((a, b) => a - b),
      0.95,
    );
  const rows = (
    [
      ["response", "webhook HTTP response"],
      ["checkStarted", "check run in progress"],
      ["reviewPosted", "review posted (createReview)"],
      ["checkCompleted", "check run completed"],
    ] as const
  ).map(
    ([key, label]) =>
      `| ${label} | ${Math.round(median(cold, key))} | ${Math.round(median(warm, key))} | ${Math.round(p95(warm, key))} |`,
  );
  const { sizes, resent } = results[0]?.bytes ?? { sizes: [], resent: [] };
  const warmPosted = median(warm, "reviewPosted");
  return {
    title: "Pull request review (loopwright serve, fake GitHub and OpenAI)",
    markdown: [
      `${PROCESSES} fresh \`loopwright serve\` processes (embedded database); in each, one cold review (first`,
      `after start, empty mirror cache) and ${WARM_RUNS} warm ones (new pull requests of the same repository,`,
      `${PAUSE_MS / 1000} s apart). The pull request changes ${FILES * LINES_PER_FILE} lines over ${FILES} files; the model answers`,
      "instantly in three turns (read_file, search, submit_review with three findings). Milliseconds from the",
      "signed `pull_request.opened` webhook POST to the request arriving at the fake GitHub. Octokit spaces an",
      "installation's writes 1 s apart and content-creating ones (the review, the summary comment) 3 s apart,",
      "so the completed check run trails the review by those waits.",
      "",
      `| from the webhook POST to | cold, median of ${cold.length} | warm, median of ${warm.length} | warm p95 |`,
      "|---|---:|---:|---:|",
      ...rows,
      "",
      `Target, review posted < 3,000 ms warm: ${warmPosted < 3_000 ? "met" : "missed"} (${Math.round(warmPosted)} ms).`,
      "",
      "Request bytes of the first review's model calls (instructions, tools and the whole input, as sent):",
      "",
      "| turn | request bytes | carried over from the previous request (instructions, tools, unchanged input items) | new |",
      "|---:|---:|---:|---:|",
      ...sizes.map(
        (size, index) =>
          `| ${index + 1} | ${size} | ${resent[index] ?? 0} | ${size - (resent[index] ?? 0)} |`,
      ),
    ].join("\n"),
  };
}
