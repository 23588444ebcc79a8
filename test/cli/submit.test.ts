import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/database.ts";
import { getTask } from "../../src/store/tasks.ts";
import { cleanEnv, repoRoot, runCli, startCli } from "../helpers/cli-process.ts";
import { bareRemoteFrom } from "../helpers/github-world.ts";
import { createServerDatabase, serverUrl } from "../helpers/test-database.ts";
import { waitFor } from "../helpers/wait-for.ts";
import { git, removeDir, tempDir } from "../workspace/helpers/git-repos.ts";

const fixSum = path.join(repoRoot, "test/fixtures/transcripts/fix-sum.jsonl");

describe("loopwright submit with the embedded database", () => {
  let root: string;
  let remote: string;
  beforeAll(() => {
    root = tempDir("submit-cli");
    remote = bareRemoteFrom("sum", root);
  });
  afterAll(() => removeDir(root));
  const env = () => cleanEnv({ LOOPWRIGHT_DATA_DIR: path.join(root, "data") });

  it("--wait runs the task in this process, prints each step and exits 0 with the pushed branch", async () => {
    // A relative --repo and --replay, resolved against the working directory.
    const { code, output } = await runCli(
      ["submit", "--repo", "remote.git", "--replay", path.relative(root, fixSum), "--wait", "Make sum add."],
      { env: env(), cwd: root },
    );
    expect(code, output).toBe(0);
    const id = Number(/^task (\d+): /m.exec(output)?.[1]);
    expect(output).toContain(`task ${id}: ${remote}\n`);
    expect(output).toMatch(new RegExp(`^workspace · agent/run-${id} from [0-9a-f]{12}$`, "m"));
    // Each command as it starts, then how it ended; a failing one with its output's tail.
    expect(output).toMatch(
      /^step 4 · shell \$ node test\.js\n\s+↳ exit 1 \(.*\)\n(\s+│ .*\n)*\s+│ FAIL: sum/m,
    );
    expect(output).toMatch(/^step 6 · shell \$ node test\.js\n\s+↳ exit 0 /m);
    expect(output).toContain("completed after 7 steps, 6 tool calls");
    expect(output).toMatch(new RegExp(`^pushed agent/run-${id} \\([0-9a-f]{12}\\)$`, "m"));
    expect(output).toContain(`task ${id} succeeded: pushed agent/run-${id} (`);
    // It ends with the changed files and a diffstat.
    expect(output).toMatch(
      /\n\nchanged files:\n sum\.js \| 2 \+-\n 1 file changed, 1 insertion\(\+\), 1 deletion\(-\)\n$/,
    );
    expect(git(remote, "show", `agent/run-${id}:sum.js`)).toContain("return a + b;");

    // `loopwright task` shows the outcome from the same database.
    const shown = await runCli(["tasks"], { env: env() });
    expect(shown.output).toMatch(new RegExp(`succeeded +submit .* pushed agent/run-${id} \\(`));
  }, 240_000);

  it("--wait whose reader went away still finishes the task, never leaving it running", async () => {
    const running = startCli(["submit", "--repo", remote, "--replay", fixSum, "--wait", "Make sum add."], {
      env: env(),
    });
    // The reader closes its end after the first line, as `| head -1` does.
    const firstLine = await new Promise<string>((resolve) =>
      running.child.stdout?.once("data", (chunk: Buffer) => resolve(chunk.toString())),
    );
    running.child.stdout?.destroy();
    const id = Number(/^task (\d+): /m.exec(firstLine)?.[1]);
    expect(id).toBeGreaterThan(0);
    expect(await running.exited).toBe(0);
    const db = await openDatabase({ dataDir: path.join(root, "data", "db") });
    try {
      expect(await getTask(db, id)).toMatchObject({ status: "succeeded" });
    } finally {
      await db.close();
    }
  }, 240_000);

  it("--wait exits non-zero with the reason when the task fails", async () => {
    const { code, output } = await runCli(
      ["submit", "--repo", remote, "--ref", "nope", "--replay", fixSum, "--wait", "Make sum add."],
      { env: env() },
    );
    expect(code, output).toBe(1);
    expect(output).toMatch(
      /loopwright submit: task \d+ failed: "nope" is neither a branch, a tag nor a commit id of /,
    );
  }, 240_000);

  it("refuses to queue a task without --wait, and bad arguments, before touching the database", async () => {
    const noWait = await runCli(["submit", "--repo", remote, "Make sum add."], { env: env() });
    expect(noWait.code).toBe(2);
    expect(noWait.output).toContain("without DATABASE_URL nothing else can run the task");
    const missing = await runCli(["submit", "--repo", "no/such/dir", "--wait", "x"], {
      env: env(),
      cwd: root,
    });
    expect(missing.code).toBe(2);
    expect(missing.output).toContain(`--repo: there is no repository at ${path.join(root, "no/such/dir")}`);
    const ssh = await runCli(["submit", "--repo", "ssh://host/o/r", "--wait", "x"], { env: env() });
    expect(ssh.code).toBe(2);
    expect(ssh.output).toContain("must use https, http or file");
    const notGit = await runCli(["submit", "--repo", root, "--wait", "x"], { env: env() });
    expect(notGit.code).toBe(2);
    expect(notGit.output).toContain(
      `--repo: ${root} is not a git repository (give the folder where one starts`,
    );
    // No model to call: refused before any task exists (the database is not even created).
    const dataDir = path.join(root, "no-key-data");
    const noKey = await runCli(["submit", "--repo", remote, "--wait", "Make sum add."], {
      env: cleanEnv({ LOOPWRIGHT_DATA_DIR: dataDir }),
    });
    expect(noKey.code).toBe(2);
    expect(noKey.output).toContain(
      "loopwright submit: OPENAI_API_KEY is not set, so the agent has no model to call",
    );
    expect(noKey.output).not.toMatch(/\n\s+at /);
    expect(existsSync(dataDir)).toBe(false);
  }, 240_000);
});

describe.skipIf(!serverUrl)("loopwright submit with DATABASE_URL (postgres)", () => {
  let root: string;
  let remote: string;
  let server: Awaited<ReturnType<typeof createServerDatabase>>;
  beforeAll(async () => {
    root = tempDir("submit-server");
    remote = bareRemoteFrom("sum", root);
    server = await createServerDatabase();
  });
  afterAll(async () => {
    await server?.drop();
    removeDir(root);
  });

  it("queues the task, prints its id, and a separate `loopwright worker` process runs it", async () => {
    const env = cleanEnv({ DATABASE_URL: server.url, LOOPWRIGHT_DATA_DIR: path.join(root, "server-data") });
    const submitted = await runCli(["submit", "--repo", remote, "--replay", fixSum, "Make sum add."], {
      env,
    });
    expect(submitted.code, submitted.output).toBe(0);
    expect(submitted.output).toMatch(/^\d+\n$/);
    const id = Number(submitted.output);

    const worker = startCli(["worker"], {
      env: cleanEnv({ ...env, LOOPWRIGHT_DATA_DIR: path.join(root, "worker") }),
    });
    const db = await openDatabase({ url: server.url });
    try {
      const task = await waitFor(
        async () => {
          const current = await getTask(db, id);
          return current?.finishedAt ? current : undefined;
        },
        60_000,
        `task ${id} to be run by the worker process`,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\nworker output:\n${worker.output()}`);
      });
      expect(task, `${task.error}\nworker output:\n${worker.output()}`).toMatchObject({
        status: "succeeded",
        attempt: 1,
      });
      expect(task.worker).toMatch(/:\d+$/);
      expect(git(remote, "show", `agent/run-${id}:sum.js`)).toContain("return a + b;");

      // --wait follows a task the worker process runs, and exits with its outcome.
      const waited = await runCli(["submit", "--repo", remote, "--replay", fixSum, "--wait", "Again."], {
        env,
      });
      expect(waited.code, waited.output).toBe(0);
      expect(waited.output).toMatch(/^step 6 · shell \$ node test\.js\n\s+↳ exit 0 /m);
      expect(waited.output).toMatch(/task \d+ succeeded: pushed agent\/run-\d+ \(/);
    } finally {
      await db.close();
      worker.child.kill("SIGTERM");
      expect(await worker.exited).toBe(0);
    }
  }, 120_000);
});
