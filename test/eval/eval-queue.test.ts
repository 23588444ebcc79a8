import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseResults } from "../../src/eval/results.ts";
import { parseTaskSet } from "../../src/eval/task-set.ts";
import { cleanEnv, type RunningCli, runCli, startCli } from "../helpers/cli-process.ts";
import { createServerDatabase, serverUrl } from "../helpers/test-database.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { removeDir, tempDir } from "../workspace/helpers/git-repos.ts";
import { createScriptRepo, writeText } from "./helpers/history-repo.ts";

const MINUTES = 60_000;

/** A model that fixes `half` through apply_patch, then says so: a replay transcript. */
const FIX_HALF = [
  {
    output: [
      {
        type: "function_call",
        name: "apply_patch",
        arguments: JSON.stringify({
          input:
            "*** Begin Patch\n*** Update File: index.js\n@@\n-exports.half = (n) => n * 2;\n+exports.half = (n) => n / 2;\n*** End Patch\n",
        }),
        call_id: "c1",
      },
    ],
  },
  {
    output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text: "Fixed half." }] }],
  },
];

type EvalTaskRow = { id: number; status: string; worker: string | null; event_key: string };

describe.skipIf(!serverUrl)("eval tasks on PostgreSQL's queue, run by a separate `loopwright worker`", () => {
  let root: string;
  let database: { url: string; drop(): Promise<void> };
  let worker: RunningCli;
  let client: pg.Client;
  let instanceId: string;
  const evalRun = (args: string[]) =>
    runCli(["eval", "run", "tasks.jsonl", "--concurrency", "0", ...args], {
      env: cleanEnv({ DATABASE_URL: database.url, LOOPWRIGHT_DATA_DIR: path.join(root, "cli-data") }),
      cwd: root,
    });
  const evalTasks = async () =>
    (
      await client.query<EvalTaskRow>(
        "select id, status, worker, event_key from loopwright.tasks where kind = 'eval' order by id",
      )
    ).rows;

  beforeAll(async () => {
    root = tempDir("eval-queue");
    const repo = createScriptRepo(root);
    const mined = await runCli(["eval", "mine", "--repo", repo.path, "--out", "tasks.jsonl"], {
      env: cleanEnv({ LOOPWRIGHT_DATA_DIR: path.join(root, "cli-data") }),
      cwd: root,
    });
    expect(mined.code, mined.output).toBe(0);
    const [task] = parseTaskSet(readFileSync(path.join(root, "tasks.jsonl"), "utf8"), "tasks.jsonl");
    instanceId = task?.instance_id as string;
    database = await createServerDatabase();
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    // Its own data folder: nothing of the eval run's machine is shared but the database and the repository path.
    worker = startCli(["worker"], {
      env: cleanEnv({ DATABASE_URL: database.url, LOOPWRIGHT_DATA_DIR: path.join(root, "worker-data") }),
    });
    await waitFor(
      () => worker.output().includes("worker started"),
      4 * MINUTES,
      `the worker\n${worker.output()}`,
    );
  }, 8 * MINUTES);

  afterAll(async () => {
    worker?.child.kill("SIGTERM");
    await worker?.exited;
    await client?.end();
    await database?.drop();
    removeDir(root);
  });

  it(
    "the worker runs the oracle's task; a resumed run collects the finished task instead of queueing it again",
    async () => {
      const first = await evalRun(["--oracle", "--out", "runs/oracle"]);
      expect(first.code, first.output).toBe(0);
      expect(first.output).toContain(
        "1 to collect (1 queued now, 0 queued before); run by loopwright worker processes",
      );
      expect(first.output).toContain("oracle: resolved 1 of 1 (100.0%)");
      const [task] = await evalTasks();
      expect(task).toMatchObject({ status: "succeeded", worker: `${os.hostname()}:${worker.child.pid}` });

      const run = path.join(root, "runs/oracle");
      const [result] = parseResults(readFileSync(path.join(run, "results.jsonl"), "utf8"), "results");
      expect(result).toMatchObject({ instance_id: instanceId, resolved: true, model: "oracle" });
      // The transcript and the agent's diff came from the worker, through the database.
      const transcript = readFileSync(path.join(run, result?.transcript as string), "utf8");
      expect(transcript).toContain("apply_patch");
      expect(readFileSync(path.join(run, result?.patch as string), "utf8")).toContain(
        "+exports.half = (n) => n / 2;",
      );

      // As if this process had died after the worker finished and before the result line was written.
      writeFileSync(path.join(run, "results.jsonl"), "");
      const resumed = await evalRun(["--oracle", "--out", "runs/oracle"]);
      expect(resumed.code, resumed.output).toBe(0);
      expect(resumed.output).toContain("1 to collect (0 queued now, 1 queued before)");
      expect(resumed.output).toContain("oracle: resolved 1 of 1 (100.0%)");
      expect(await evalTasks()).toHaveLength(1);

      const again = await evalRun(["--oracle", "--out", "runs/oracle"]);
      expect(again.code, again.output).toBe(0);
      expect(again.output).toContain("1 already in");
      expect(again.output).toContain("0 to collect");
      expect(await evalTasks()).toHaveLength(1);
    },
    8 * MINUTES,
  );

  it(
    "a replay model's transcript travels with the task to the worker",
    async () => {
      writeText(
        path.join(root, "scripted", `${instanceId}.jsonl`),
        `${FIX_HALF.map((turn) => JSON.stringify(turn)).join("\n")}\n`,
      );
      const { code, output } = await evalRun(["--replay-dir", "scripted", "--out", "runs/scripted"]);
      expect(code, output).toBe(0);
      expect(output).toContain("replay: resolved 1 of 1 (100.0%)");
      const tasks = await evalTasks();
      expect(tasks).toHaveLength(2);
      expect(tasks[1]?.worker).toBe(`${os.hostname()}:${worker.child.pid}`);
    },
    8 * MINUTES,
  );
});
