import path from "node:path";
import nock from "nock";
import { pino } from "pino";
import { afterEach, beforeEach, expect } from "vitest";
import type { ModelClient, ModelTurn } from "../../../src/agent/model.ts";
import { createReplayModel } from "../../../src/agent/models/replay.ts";
import { readTranscript } from "../../../src/agent/transcript.ts";
import type { GitHubApp } from "../../../src/github/installation.ts";
import { listSteps, type Step } from "../../../src/store/steps.ts";
import { createTask, getTask, startAttempt, type Task, type TaskOutcome } from "../../../src/store/tasks.ts";
import { createGitHubTaskHandler, type GitHubTaskSpec } from "../../../src/tasks/github-task.ts";
import type { TaskContext } from "../../../src/worker/task-handler.ts";
import { createTaskContext } from "../../../src/worker/worker.ts";
import { Workspaces } from "../../../src/workspace/workspace.ts";
import { transcriptPath } from "../../agent/helpers/fixtures.ts";
import { testOctokit } from "../../github/octokit.ts";
import { bareRemoteFrom } from "../../helpers/github-world.ts";
import { openTestDatabase, type TestDatabase } from "../../helpers/test-database.ts";
import { removeDir, tempDir } from "../../workspace/helpers/git-repos.ts";
import { GitHubApiFake, OWNER, REPO } from "./github-api.ts";

/** The installation token the fake App hands out; it must never reach the workspace or a comment. */
export const INSTALLATION_TOKEN = "ghs_taskTestInstallationToken0123456789";
export const BOT = { name: "loopwright[bot]", email: "99+loopwright[bot]@users.noreply.github.com" };

const usage = {
  inputTokens: 100,
  cachedInputTokens: 0,
  outputTokens: 10,
  reasoningTokens: 0,
  totalTokens: 110,
};

/** Scripted model turns: a tool call, or a final answer. */
export const turn = {
  call(
    name: string,
    args: unknown,
    callId = `call-${name}-${Math.random().toString(36).slice(2, 8)}`,
  ): ModelTurn {
    return {
      output: [{ type: "function_call", name, arguments: JSON.stringify(args), call_id: callId }],
      usage,
    };
  },
  say(text: string): ModelTurn {
    return {
      output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text }] }],
      usage,
    };
  },
};

/** A patch that fixes the sum fixture: `-` becomes `+`. */
export const FIX_SUM_PATCH = {
  input:
    "*** Begin Patch\n*** Update File: sum.js\n@@\n export function sum(a, b) {\n-  return a - b;\n+  return a + b;\n }\n*** End Patch\n",
};

/** Issue #7 of the world's repository, and the branch a fix task makes for it. */
export const ISSUE = {
  number: 7,
  title: "sum() subtracts instead of adding",
  branch: "agent/issue-7-sum-subtracts-instead-of-adding",
};

/** A recorded transcript of test/fixtures/transcripts. */
export const transcript = (name: string): Promise<ModelTurn[]> => readTranscript(transcriptPath(name));

export type TaskRequest = {
  kind?: "fix" | "iterate";
  number?: number;
  /** Merged over a valid input (instructions, the bare remote as clone URL, main, default config). */
  input?: Record<string, unknown>;
  installationId?: number | null;
};

export type AttemptOptions = {
  /** Called before each model turn with its index (from 0), e.g. to abort or to push meanwhile. */
  beforeTurn?: (index: number) => void | Promise<void>;
  controller?: AbortController;
};

/**
 * One repository's world for driving a GitHub task handler directly: a real PGlite store (steps,
 * transcripts, side effects), real workspaces over a bare remote seeded from test/fixtures/repos/sum,
 * the real sandbox, a nock-backed GitHub, and an App whose installation client talks to it.
 *
 * @example
 * const world = await openTaskWorld();
 * const task = await world.createTask({ number: 7 });
 * const { outcome } = await world.attempt(fixTask, task.id, await transcript("fix-sum"));
 */
export type TaskWorld = {
  root: string;
  remote: string;
  db: TestDatabase;
  github: GitHubApiFake;
  createTask(request?: TaskRequest): Promise<Task>;
  /** Starts the next attempt of the task (as a worker claim does) and runs the handler on it. */
  attempt(
    spec: GitHubTaskSpec,
    taskId: number,
    turns: ModelTurn[],
    options?: AttemptOptions,
  ): Promise<{ outcome: TaskOutcome; context: TaskContext }>;
  task(id: number): Promise<Task>;
  steps(id: number): Promise<Step[]>;
  /** The one progress comment on an issue or pull request (fails the test unless there is exactly one). */
  progressComment(number?: number): string;
  close(): Promise<void>;
};

function scripted(turns: ModelTurn[], beforeTurn: AttemptOptions["beforeTurn"]): ModelClient {
  const replay = createReplayModel(turns);
  let index = 0;
  return {
    model: replay.model,
    contextWindow: replay.contextWindow,
    async complete(request) {
      await beforeTurn?.(index++);
      return replay.complete(request);
    },
  };
}

export async function openTaskWorld(): Promise<TaskWorld> {
  const root = tempDir("task");
  const remote = bareRemoteFrom("sum", root);
  const db = await openTestDatabase("pglite");
  const workspaces = await Workspaces.open({
    dataDir: path.join(root, "data"),
    cacheMaxBytes: 2 ** 30,
    spareTrees: 0,
  });
  const github = new GitHubApiFake().install();
  const log = pino({ level: process.env.TEST_LOG ?? "silent" });
  const app: GitHubApp = {
    async forInstallation() {
      return { octokit: testOctokit(), token: INSTALLATION_TOKEN };
    },
    async botIdentity() {
      return BOT;
    },
  };

  return {
    root,
    remote,
    db,
    github,
    async createTask(request = {}) {
      const { task } = await createTask(db, {
        kind: request.kind ?? "fix",
        repository: `${OWNER}/${REPO}`,
        ...(request.installationId !== null && { installationId: request.installationId ?? 1 }),
        number: request.number ?? 7,
        requester: "ann",
        trigger: "comment",
        input: {
          instructions: "",
          cloneUrl: remote,
          defaultBranch: "main",
          config: {},
          commentId: 555,
          ...request.input,
        },
      });
      return task;
    },
    async attempt(spec, taskId, turns, options = {}) {
      const task = await startAttempt(db, taskId, "test-worker");
      if (!task) throw new Error(`task ${taskId} cannot start another attempt`);
      const controller = options.controller ?? new AbortController();
      const context = createTaskContext(db, task, controller, log);
      const handler = createGitHubTaskHandler(
        {
          settings: { sandbox: "auto" },
          workspaces,
          log,
          github: app,
          createModel: () => scripted(turns, options.beforeTurn),
        },
        spec,
      );
      return { outcome: await handler(context), context };
    },
    async task(id) {
      const task = await getTask(db, id);
      if (!task) throw new Error(`no task ${id}`);
      return task;
    },
    steps: (id) => listSteps(db, id),
    progressComment(number = ISSUE.number) {
      const bodies = github.commentBodies(number);
      expect(bodies).toHaveLength(1);
      return bodies[0] ?? "";
    },
    async close() {
      await workspaces.close();
      await db.dispose();
      removeDir(root);
    },
  };
}

/**
 * A fresh world for each test of the file, with issue #7 on GitHub; after each test, the fake
 * GitHub must have known every request.
 *
 * @example
 * const world = useTaskWorld();
 * it("…", async () => { const task = await world().createTask(); … });
 */
export function useTaskWorld(): () => TaskWorld {
  let world: TaskWorld | undefined;
  beforeEach(async () => {
    world = await openTaskWorld();
    world.github.addIssue(ISSUE.number, ISSUE.title, "`sum(2, 3)` returns -1.");
  });
  afterEach(async () => {
    expect(world?.github.unhandled).toEqual([]);
    nock.cleanAll();
    await world?.close();
    world = undefined;
  });
  return () => {
    if (!world) throw new Error("the task world exists only inside a test");
    return world;
  };
}
