import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FINISHED_STATUSES, type Task } from "../../src/store/tasks.ts";
import { createTaskApiClient } from "../../src/web/api-client.ts";
import { readLocalToken } from "../../src/web/local-token.ts";
import { cleanEnv, type RunningCli, runCli, startCli } from "../helpers/cli-process.ts";
import {
  commentPayload,
  type GitHubWorld,
  OWNER,
  REPO,
  startGitHubWorld,
  useRepositoryConfig,
} from "../helpers/github-world.ts";
import {
  clusterUnavailable,
  type PostgresCluster,
  startPostgresCluster,
} from "../helpers/postgres-cluster.ts";
import { startServe } from "../helpers/serve-process.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { git } from "../workspace/helpers/git-repos.ts";

// 300 webhooks: 32 fixes (4 of them followed by `/agent stop`), 6 iterates, 158 plain comments (no
// command: stored, taken in, ignored), and every second one of those 200 delivered again to the other
// server. Every task of a repository runs under its limit (2 at once across all workers), and each
// posts a comment and opens a pull request, which Octokit spaces 3 s apart per installation and
// process (GitHub's secondary rate limits): the commands are spread over four repositories, each
// through an installation of its own, so tasks run side by side as they would across an App's
// installations.
const REPOSITORIES = Array.from({ length: 4 }, (_, index) => ({
  repository: `${REPO}-${index}`,
  installationId: 7000 + index,
}));
const FIXES = 32;
/** Every STOP_EVERY-th fix is followed at once by `/agent stop` on the same issue. */
const STOP_EVERY = 8;
const ITERATES = 6;
/** Deliveries with ids of their own; with every REDELIVER_EVERY-th sent twice, 300 in all. */
const UNIQUE = 200;
const REDELIVER_EVERY = 2;
/** Plain comments sent after each fix; the rest of UNIQUE follows the iterates. */
const CHATTER_PER_FIX = 4;
/** Fixes go to issues from here on, clear of the pull request numbers (from 2) the fake GitHub gives. */
const FIRST_ISSUE = 1000;
const DEADLINE_MS = 600_000;

const unavailable = clusterUnavailable();
if (unavailable) console.warn(`replicas e2e skipped: ${unavailable}`);

type TaskRow = {
  id: number;
  kind: string;
  number: number;
  status: string;
  attempt: number;
  error: string | null;
};

// The deployment the design describes, as processes: a primary with a streaming replica and a
// cascading replica of that, PgBouncer (transaction mode) in front of the primary, two webhook servers
// and three workers through PgBouncer, history reads on the cascading replica.
describe.skipIf(unavailable !== undefined)(
  "many processes on one primary, reads on a cascading replica",
  () => {
    let cluster: PostgresCluster;
    let world: GitHubWorld;
    const processes: RunningCli[] = [];
    let settings: (name: string) => Record<string, string>;
    let primary: pg.Client;

    beforeAll(async () => {
      cluster = await startPostgresCluster();
      primary = new pg.Client({ connectionString: cluster.primary.url });
      await primary.connect();
      await primary.query("create database loopwright");
      await primary.end();
      const on = (url: string) => url.replace(/\/postgres$/, "/loopwright");
      primary = new pg.Client({ connectionString: on(cluster.primary.url) });
      await primary.connect();
      world = await startGitHubWorld({ fixture: "sum", transcript: "fix-sum" });
      // One requester sends every command: the repository's config lifts the hourly limits.
      useRepositoryConfig(
        world,
        "limits:\n  per_requester_per_hour: 1000\n  per_repository_per_hour: 1000\n  per_requester_active: 100\n",
      );
      // Loopwright's pull requests, as an iterate command looks them up (numbered from 2 in creation order).
      world.github.route({
        method: "GET",
        path: new RegExp(`^/repos/${OWNER}/([^/]+)/pulls/(\\d+)$`),
        reply: (_request, match) => {
          const created = world.github.requests.filter(
            (request) => request.method === "POST" && /\/pulls$/.test(request.path),
          );
          const request = created[Number(match[2]) - 2];
          const body = request?.body as { head: string; title: string } | undefined;
          if (!body || !request?.path.includes(`/${match[1]}/`))
            return { status: 404, body: { message: "Not Found" } };
          const repository = { full_name: `${OWNER}/${match[1]}` };
          return {
            status: 200,
            body: {
              number: Number(match[2]),
              state: "open",
              title: body.title,
              body: "",
              user: { login: "loopwright[bot]", type: "Bot" },
              html_url: `http://${world.github.host}/pull/${match[2]}`,
              head: { ref: body.head, sha: git(world.remote, "rev-parse", body.head), repo: repository },
              base: { ref: "main", repo: repository },
            },
          };
        },
      });
      settings = (name) => ({
        DATABASE_URL: on(cluster.bouncer.url),
        // LISTEN holds a session: it goes straight to the primary, past the pooler.
        DATABASE_LISTEN_URL: on(cluster.primary.url),
        DATABASE_READ_URL: on(cluster.cascade.url),
        LOOPWRIGHT_DATA_DIR: path.join(world.root, name),
        LOG_LEVEL: process.env.TEST_LOG ?? "warn",
      });
    }, 300_000);

    afterAll(async () => {
      for (const running of processes) {
        running.child.kill("SIGKILL");
        await running.exited;
      }
      await primary?.end().catch(() => {});
      await world?.close();
      await cluster?.stop();
    });

    function startWorker(name: string): RunningCli {
      const running = startCli(["worker"], { env: cleanEnv(world.env(settings(name))) });
      processes.push(running);
      return running;
    }

    const tasks = async () =>
      (
        await primary.query<TaskRow>(
          "select id, kind, number, status, attempt, error from loopwright.tasks order by id",
        )
      ).rows;

    it("takes every webhook once, loses no task when a worker is killed, and serves history from the replica", {
      timeout: DEADLINE_MS + 120_000,
    }, async () => {
      const workers = [0, 1, 2].map((index) => startWorker(`worker-${index}`));
      const servers = await Promise.all([0, 1].map((index) => startServe(world, settings(`serve-${index}`))));
      processes.push(...servers);
      const deliver = async (index: number, id: string, payload: unknown) => {
        const response = await servers[index % 2]!.deliver({ name: "issue_comment", id, payload });
        expect(response.status).toBe(202);
        return (await response.json()) as { accepted: boolean };
      };
      const pullsOpened = () =>
        world.github.requests.filter((request) => request.method === "POST" && /\/pulls$/.test(request.path));

      let sent = 0;
      const redelivered: string[] = [];
      const send = async (id: string, payload: unknown) => {
        expect(await deliver(sent, id, payload)).toMatchObject({ accepted: true });
        sent += 1;
        if (sent % REDELIVER_EVERY === 0) {
          // GitHub delivering the same delivery again, to the other server: stored once, nothing new.
          expect(await deliver(sent, id, payload)).toMatchObject({ accepted: false });
          redelivered.push(id);
        }
      };
      const repositoryOf = (issue: number) => REPOSITORIES[issue % REPOSITORIES.length]!;
      let chatter = 0;
      const sendChatter = async (issue: number, count: number) => {
        for (let index = 0; index < count; index += 1, chatter += 1) {
          const payload = commentPayload(world, "Thanks, I can reproduce this.", issue, repositoryOf(issue));
          await send(`chatter-${chatter}`, payload);
        }
      };

      // Midway, a worker process dies while it runs a task: the task must come back (once its job's
      // heartbeat lapses), run again elsewhere, and still open one pull request.
      const killBusyWorker = async () => {
        const { index, taskId } = await waitFor(
          async () => {
            const gone = workers.find((worker) => worker.child.exitCode !== null);
            if (gone) throw new Error(`a worker process exited (${gone.child.exitCode}):\n${gone.output()}`);
            // Not a task a stop command may end instead: this one must finish by running again.
            const { rows } = await primary.query<{ id: number; worker: string }>(
              "select id, worker from loopwright.tasks where status = 'running' and number <> all($1::int[])",
              [stopped],
            );
            for (const row of rows) {
              const index = workers.findIndex((worker) => row.worker.endsWith(`:${worker.child.pid}`));
              if (index >= 0) return { index, taskId: row.id };
            }
            return undefined;
          },
          DEADLINE_MS,
          "a task running on a worker process",
        );
        killed.push(workers[index]!);
        workers[index]!.child.kill("SIGKILL");
        await workers[index]!.exited;
        workers[index] = startWorker(`worker-${index}-again`);
        return taskId;
      };
      const killed: RunningCli[] = [];
      let killedTask: number | undefined;
      const stopped: number[] = [];
      const started = Date.now();
      for (let issue = FIRST_ISSUE; issue < FIRST_ISSUE + FIXES; issue += 1) {
        await send(`fix-${issue}`, commentPayload(world, "/agent fix", issue, repositoryOf(issue)));
        if (issue % STOP_EVERY === 0) {
          await send(`stop-${issue}`, commentPayload(world, "/agent stop", issue, repositoryOf(issue)));
          stopped.push(issue);
        }
        await sendChatter(issue, CHATTER_PER_FIX);
        if (issue === FIRST_ISSUE + FIXES / 2) killedTask = await killBusyWorker();
      }
      // Follow-ups on the first pull requests, once they are open, on the repositories they were opened on.
      await waitFor(() => pullsOpened().length >= ITERATES, DEADLINE_MS, `${ITERATES} pull requests`);
      for (let index = 0; index < ITERATES; index += 1) {
        const repository = pullsOpened()[index]!.path.split("/")[3]!;
        const on = REPOSITORIES.find((candidate) => candidate.repository === repository)!;
        const payload = commentPayload(world, "/agent say in the summary that sum adds", index + 2, on);
        payload.issue.pull_request = { url: `http://${world.github.host}/pulls/${index + 2}` };
        payload.issue.state = "open";
        await send(`iterate-${index}`, payload);
      }
      await sendChatter(FIRST_ISSUE, UNIQUE - sent);
      expect(sent + redelivered.length).toBe(300);

      // Every delivery taken in, then every task it made finished.
      const deliveries = await waitFor(
        async () => {
          const { rows } = await primary.query<{ stored: number; pending: number; ids: number }>(
            `select count(*)::int as stored, count(*) filter (where processed_at is null)::int as pending,
             count(distinct delivery_id)::int as ids from loopwright.webhook_deliveries`,
          );
          return rows[0]?.pending === 0 && rows[0];
        },
        DEADLINE_MS,
        "every delivery taken in",
      );
      expect(deliveries).toEqual({ stored: sent, pending: 0, ids: sent });
      // Intake makes a command's task before it marks the delivery taken in: every task exists now.
      const outcomes = await primary.query<{ outcome: string; n: number }>(
        "select outcome, count(*)::int as n from loopwright.webhook_deliveries group by outcome",
      );
      expect((await tasks()).length, JSON.stringify(outcomes.rows)).toBe(FIXES + ITERATES);
      const all = await waitFor(
        async () => {
          const rows = await tasks();
          return rows.every((row) => FINISHED_STATUSES.includes(row.status as never)) && rows;
        },
        DEADLINE_MS,
        `${FIXES + ITERATES} tasks finished`,
      ).catch(async (error: Error) => {
        throw new Error(`${error.message}\n${JSON.stringify(await tasks())}`);
      });
      const elapsed = Math.round((Date.now() - started) / 1000);
      const { rows: durations } = await primary.query<{ median: number }>(
        `select percentile_cont(0.5) within group (order by extract(epoch from finished_at - started_at))::float8
           as median from loopwright.tasks where started_at is not null`,
      );
      // No process but the killed one went away meanwhile.
      const died = processes.filter(
        (running) => running.child.exitCode !== null && !killed.includes(running),
      );
      expect(died.map((running) => running.output().slice(-3000))).toEqual([]);
      // Every command made exactly one task.
      const fixes = all.filter((row) => row.kind === "fix");
      const iterates = all.filter((row) => row.kind === "iterate");
      expect(fixes.map((row) => row.number).sort((a, b) => a - b)).toEqual(
        Array.from({ length: FIXES }, (_, index) => index + FIRST_ISSUE),
      );
      expect(iterates.map((row) => row.number).sort((a, b) => a - b)).toEqual(
        Array.from({ length: ITERATES }, (_, index) => index + 2),
      );
      // None lost: every fix that was not stopped opened its pull request; stopped ones ended either way.
      for (const row of fixes) {
        expect([row.number, row.status], row.error ?? "").toEqual([
          row.number,
          stopped.includes(row.number) && row.status === "cancelled" ? "cancelled" : "succeeded",
        ]);
      }
      for (const row of iterates) {
        expect([row.number, row.status], row.error ?? "").toEqual([row.number, "succeeded"]);
      }
      // No pull request twice.
      const heads = pullsOpened().map((request) => (request.body as { head: string }).head);
      expect(new Set(heads).size).toBe(heads.length);
      expect(heads.length).toBe(fixes.filter((row) => row.status === "succeeded").length);
      // The killed worker's task ran again and finished.
      expect(all.find((row) => row.id === killedTask)).toMatchObject({ status: "succeeded" });
      expect(all.find((row) => row.id === killedTask)?.attempt).toBeGreaterThan(1);
      const retried = all.filter((row) => row.attempt > 1).map((row) => row.id);
      console.log(
        `replicas e2e: ${sent} webhooks (+${redelivered.length} redeliveries; ${chatter} plain comments) on ${REPOSITORIES.length} repositories, ${all.length} tasks, ` +
          `${heads.length} pull requests, ${stopped.length} stop commands, task killed mid-run: ${killedTask}, retried: ${retried.join(", ")}; ` +
          `all finished ${elapsed} s after the first webhook (a task's median run ${durations[0]?.median.toFixed(1)} s)`,
      );

      // History from the cascading replica: `loopwright tasks` and each task's page show every task.
      await cluster.caughtUp(cluster.cascade);
      const cliEnv = cleanEnv(world.env(settings("cli")));
      const listed = await runCli(["tasks", "--limit", "1000", "--json"], { env: cliEnv });
      expect(listed.code, listed.output).toBe(0);
      const shown = JSON.parse(listed.output) as { id: number; status: string }[];
      expect(shown.map((task) => [task.id, task.status]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(
        all.map((row) => [row.id, row.status]),
      );
      // A webhook server's task pages (its JSON API, as the local administrator) read the replica too.
      const api = createTaskApiClient(
        `http://127.0.0.1:${servers[0]!.port}`,
        readLocalToken(settings("serve-0").LOOPWRIGHT_DATA_DIR!)!,
      );
      for (const row of [all[0]!, all[all.length - 1]!]) {
        const page = await runCli(["task", String(row.id), "--json"], { env: cliEnv });
        expect(page.code, page.output).toBe(0);
        const { rows } = await primary.query<{ n: number }>(
          "select count(*)::int as n from loopwright.steps where task_id = $1",
          [row.id],
        );
        for (const found of [
          JSON.parse(page.output) as { task: Task; steps: unknown[] },
          await api.getTask(row.id),
        ]) {
          expect(found?.task.status).toBe(row.status);
          expect(found?.steps).toHaveLength(rows[0]?.n ?? -1);
        }
      }
    });
  },
);
