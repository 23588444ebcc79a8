import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { TaskLimitError } from "../../src/agent/command-runner.ts";
import type { AgentEvent, ToolCallEvent } from "../../src/agent/events.ts";
import { runAgent } from "../../src/agent/loop.ts";
import { type InputItem, type ModelClient, ModelError, type ModelRequest } from "../../src/agent/model.ts";
import { createReplayModel } from "../../src/agent/models/replay.ts";
import { defineTool } from "../../src/agent/tools/tool.ts";
import { parseTranscript } from "../../src/agent/transcript.ts";
import { createSandbox } from "../../src/workspace/sandbox.ts";
import { capture, replay, tinyRepo } from "./helpers/fixtures.ts";

/** The real runner, without isolation (tests run plain commands in a temp copy of a fixture repo). */
const sandbox = (workspace: string) => createSandbox({ mode: "none", workspace });

function collect() {
  const events: AgentEvent[] = [];
  return { events, onEvent: (event: AgentEvent) => void events.push(event) };
}

const toolCalls = (events: AgentEvent[]) =>
  events.filter((event): event is ToolCallEvent => event.type === "tool_call");

/** Each request's input must be an exact prefix of the next one's (the prompt-cache property). */
function expectAppendOnly(requests: ModelRequest[]) {
  for (let index = 1; index < requests.length; index += 1) {
    const previous = requests[index - 1] as ModelRequest;
    const current = requests[index] as ModelRequest;
    expect(current.instructions).toBe(previous.instructions);
    expect(current.tools).toEqual(previous.tools);
    expect(current.promptCacheKey).toBe(previous.promptCacheKey);
    expect(current.input.slice(0, previous.input.length)).toEqual(previous.input);
  }
}

const text = (item: InputItem | undefined) =>
  item?.type === "message" ? item.content.map((part) => part.text).join("") : "";

describe("runAgent over a replayed transcript", () => {
  it("reads, patches, runs a failing test, fixes it and runs it passing", async () => {
    const cwd = await tinyRepo();
    const runner = await sandbox(cwd);
    const { model, requests } = await replay("fix-sum");
    const { events, onEvent } = collect();
    const result = await runAgent({
      model,
      runner,
      cwd,
      task: "Make node test.js pass",
      onEvent,
      promptCacheKey: "task-1",
    });

    expect(result.outcome).toBe("completed");
    expect(result.message).toContain("node test.js");
    expect(await readFile(`${cwd}/sum.js`, "utf8")).toContain("return a + b;");
    const calls = toolCalls(events);
    expect(calls.map((call) => call.name)).toEqual([
      "update_plan",
      "read_file",
      "apply_patch",
      "shell",
      "apply_patch",
      "shell",
    ]);
    expect(calls[1]?.output).toContain("2\t  return a - b;");
    expect(calls[2]?.output).toContain("M sum.js");
    expect(calls.filter((call) => call.name === "shell").map((call) => call.exitCode)).toEqual([1, 0]);
    expect(calls[3]?.output).toContain("FAIL: sum(2, 3) returned 6");
    expect(events.find((event) => event.type === "plan_update")).toMatchObject({
      plan: [{ step: "Read the code", status: "in_progress" }, {}, {}],
    });
    expect(result.totals).toMatchObject({
      steps: 7,
      toolCalls: 6,
      input: 14_690,
      cached: 12_032,
      total: 14_690 + 310,
    });
    expect(events.at(-1)).toMatchObject({ type: "final", outcome: "completed", totals: result.totals });
    expect(JSON.parse(JSON.stringify(events))).toEqual(events);

    // The fixed prefix, in order, then the task; later items appended only.
    const first = requests[0] as ModelRequest;
    expect(first.instructions).toContain("You are Loopwright");
    expect(first.input.map((item) => (item.type === "message" ? item.role : item.type))).toEqual([
      "developer",
      "user",
      "user",
      "user",
    ]);
    expect(text(first.input[0])).toContain("`none` sandbox");
    expect(text(first.input[1])).toContain('<agents_md folder=".">');
    expect(text(first.input[1])).toContain("Run the tests with `node test.js`.");
    expect(text(first.input[2])).toContain(`<cwd>${cwd}</cwd>`);
    expect(text(first.input[3])).toBe("Make node test.js pass");
    expect(first.promptCacheKey).toBe("task-1");
    expect(first.tools.map((tool) => tool.name)).toEqual([
      "shell",
      "read_file",
      "list_files",
      "search",
      "apply_patch",
      "update_plan",
    ]);
    expect(first.tools[0]?.parameters).not.toHaveProperty("$schema");
    expectAppendOnly(requests);
    // Every function call is answered by its output, matched by call_id, right after the turn.
    const last = (requests.at(-1) as ModelRequest).input;
    const callIds = last.flatMap((item) => (item.type === "function_call" ? [item.call_id] : []));
    const outputIds = last.flatMap((item) => (item.type === "function_call_output" ? [item.call_id] : []));
    expect(outputIds).toEqual(callIds);
    expect(last.find((item) => item.type === "reasoning")).toMatchObject({
      encrypted_content: "gAAAAB-opaque",
    });
  });

  it("turns bad JSON and schema-invalid arguments into observations, and the model recovers", async () => {
    const cwd = await tinyRepo();
    const runner = await sandbox(cwd);
    const { model } = await replay("invalid-call");
    const { events, onEvent } = collect();
    const result = await runAgent({ model, runner, cwd, task: "Read sum.js", onEvent });
    expect(result.outcome).toBe("completed");
    const [badJson, badSchema, good] = toolCalls(events);
    expect(badJson).toMatchObject({ isError: true, exitCode: null });
    expect(badJson?.output).toMatch(/read_file: the arguments are not valid JSON/);
    expect(badSchema?.isError).toBe(true);
    expect(badSchema?.output).toMatch(/do not match the tool's schema[\s\S]*path/);
    expect(good).toMatchObject({ isError: false });
    expect(good?.output).toContain("1\texport function sum(a, b) {");
    expect(good?.output).toContain("use offset 2 for more");
  });

  it("answers an unknown tool with the list of tools", async () => {
    const cwd = await tinyRepo();
    const runner = await sandbox(cwd);
    const { model } = await replay("unknown-tool");
    const { events, onEvent } = collect();
    const result = await runAgent({ model, runner, cwd, task: "Look around", onEvent });
    expect(result.outcome).toBe("completed");
    const [unknown, listed] = toolCalls(events);
    expect(unknown?.output).toMatch(/unknown tool "browse_web"; the tools are: shell, read_file/);
    expect(listed?.output).toContain("sum.js");
  });

  it("ends with budget_exhausted when the steps run out", async () => {
    const cwd = await tinyRepo();
    const runner = await sandbox(cwd);
    const { model } = await replay("endless");
    const result = await runAgent({ model, runner, cwd, task: "Loop", budget: { maxSteps: 3 } });
    expect(result).toMatchObject({
      outcome: "budget_exhausted",
      budget: "steps",
      totals: { steps: 3, toolCalls: 3 },
    });
    expect(result.message).toContain("step budget (3 model turns)");
  });

  it("ends with budget_exhausted when the sandbox says a whole-task limit was crossed", async () => {
    const cwd = await tinyRepo();
    const runner = await sandbox(cwd);
    const { model } = await replay("endless");
    // The transcript reads a file each turn; the second read finds the task over its disk budget.
    let reads = 0;
    const files = runner.files;
    const limited = {
      policy: runner.policy,
      run: runner.run,
      files: {
        stat: files.stat.bind(files),
        listTree: files.listTree.bind(files),
        writeFile: files.writeFile.bind(files),
        removeFile: files.removeFile.bind(files),
        readFile: async (file: string, maxBytes: number) => {
          if (file.endsWith("sum.js") && ++reads === 2) {
            throw new TaskLimitError("the workspace grew to 5000 MB, over its disk budget of 4295 MB");
          }
          return files.readFile(file, maxBytes);
        },
      },
    };
    const result = await runAgent({ model, runner: limited, cwd, task: "Loop", budget: { maxSteps: 10 } });
    expect(result).toMatchObject({ outcome: "budget_exhausted", budget: "disk", totals: { toolCalls: 2 } });
    expect(result.message).toBe("Stopped: the workspace grew to 5000 MB, over its disk budget of 4295 MB");
  });

  it("ends with budget_exhausted when the tokens run out", async () => {
    const cwd = await tinyRepo();
    const runner = await sandbox(cwd);
    const { model } = await replay("endless");
    const result = await runAgent({ model, runner, cwd, task: "Loop", budget: { maxTotalTokens: 5_000 } });
    // Turns cost 1,100 + 2,100 + 3,100 tokens: the budget is crossed after the third.
    expect(result).toMatchObject({
      outcome: "budget_exhausted",
      budget: "tokens",
      totals: { steps: 3, total: 6_300 },
    });
  });

  it("ends with budget_exhausted when wall time runs out, even if the model hangs", async () => {
    const cwd = await tinyRepo();
    const runner = await sandbox(cwd);
    const hanging: ModelClient = {
      model: "hang",
      contextWindow: 100_000,
      complete: () => new Promise(() => {}),
    };
    const result = await runAgent({
      model: hanging,
      runner,
      cwd,
      task: "Wait",
      budget: { maxWallTimeMs: 200 },
    });
    expect(result).toMatchObject({ outcome: "budget_exhausted", budget: "wall_time" });
  });

  it("aborts mid-command, killing the running command", async () => {
    const cwd = await tinyRepo();
    const runner = await sandbox(cwd);
    const { model } = await replay("slow-command");
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const started = performance.now();
    const { events, onEvent } = collect();
    const result = await runAgent({ model, runner, cwd, task: "Sleep", signal: controller.signal, onEvent });
    expect(result.outcome).toBe("aborted");
    expect(performance.now() - started).toBeLessThan(30_000);
    expect(events.at(-1)).toMatchObject({ type: "final", outcome: "aborted" });
  });

  it("aborts a model request in flight", async () => {
    const cwd = await tinyRepo();
    const runner = await sandbox(cwd);
    let sawSignal: AbortSignal | undefined;
    const hanging: ModelClient = {
      model: "hang",
      contextWindow: 100_000,
      complete: (request) => {
        sawSignal = request.signal;
        setTimeout(() => controller.abort(), 50);
        return new Promise(() => {});
      },
    };
    const controller = new AbortController();
    const result = await runAgent({ model: hanging, runner, cwd, task: "Wait", signal: controller.signal });
    expect(result.outcome).toBe("aborted");
    expect(sawSignal?.aborted).toBe(true);
  });

  it("reports a model failure as model_error, with the ModelError", async () => {
    const cwd = await tinyRepo();
    const runner = await sandbox(cwd);
    const model = createReplayModel(
      parseTranscript(
        '{"output":[{"type":"function_call","name":"list_files","arguments":"{}","call_id":"a"}]}',
      ),
    );
    const { events, onEvent } = collect();
    const result = await runAgent({ model, runner, cwd, task: "List", onEvent });
    expect(result.outcome).toBe("model_error");
    expect(result.modelError).toBeInstanceOf(ModelError);
    expect(result.modelError?.kind).toBe("replay_exhausted");
    expect(events.at(-1)).toMatchObject({ type: "final", error: { kind: "replay_exhausted" } });
  });

  it("treats a turn with neither text nor tool calls as a bad response", async () => {
    const cwd = await tinyRepo();
    const runner = await sandbox(cwd);
    const model = createReplayModel([{ output: [{ type: "reasoning", summary: [] }] }]);
    const result = await runAgent({ model, runner, cwd, task: "Nothing" });
    expect(result).toMatchObject({ outcome: "model_error", modelError: { kind: "bad_response" } });
  });

  it("lets a finishing tool end the task with a structured result", async () => {
    const cwd = await tinyRepo();
    const runner = await sandbox(cwd);
    const submitReview = defineTool({
      name: "submit_review",
      description: "Submit the review and finish.",
      schema: z.object({
        summary: z.string(),
        findings: z.array(z.object({ path: z.string(), line: z.number().int() })),
      }),
      run: async (review) => ({
        output: "Review submitted.",
        finish: { message: review.summary, result: review },
      }),
    });
    const review = { summary: "One bug.", findings: [{ path: "sum.js", line: 2 }] };
    const model = createReplayModel([
      { output: [{ type: "function_call", name: "submit_review", arguments: "{}", call_id: "a" }] },
      {
        output: [
          { type: "function_call", name: "submit_review", arguments: JSON.stringify(review), call_id: "b" },
        ],
      },
    ]);
    const result = await runAgent({ model, runner, cwd, task: "Review", extraTools: [submitReview] });
    expect(result).toMatchObject({
      outcome: "completed",
      message: "One bug.",
      result: review,
      totals: { steps: 2 },
    });
  });

  it("compacts once the input nears the context window, keeping prefix, task and a summary", async () => {
    const cwd = await tinyRepo();
    const runner = await sandbox(cwd);
    const big = "x ".repeat(3000);
    const turns = [
      {
        output: [
          {
            type: "function_call" as const,
            name: "update_plan",
            arguments: JSON.stringify({ explanation: big, plan: [] }),
            call_id: "a",
          },
        ],
      },
      {
        output: [
          {
            type: "message" as const,
            role: "assistant" as const,
            content: [{ type: "output_text" as const, text: "Summary: planned; nothing changed yet." }],
          },
        ],
      },
      {
        output: [
          {
            type: "message" as const,
            role: "assistant" as const,
            content: [{ type: "output_text" as const, text: "Done." }],
          },
        ],
      },
    ];
    const requests: ModelRequest[] = [];
    const model = capture(createReplayModel(turns, { contextWindow: 4_000 }), requests);
    const { events, onEvent } = collect();
    const result = await runAgent({ model, runner, cwd, task: "The task", onEvent });
    expect(result).toMatchObject({
      outcome: "completed",
      message: "Done.",
      totals: { steps: 2, compactions: 1 },
    });
    const compaction = events.find((event) => event.type === "compaction");
    expect(compaction).toMatchObject({ summary: "Summary: planned; nothing changed yet.", step: 1 });
    const [first, summarise, after] = requests as [ModelRequest, ModelRequest, ModelRequest];
    // The summarisation request extends the history; the next request restarts from the prefix.
    expect(summarise.input.slice(0, -1)).toEqual([
      ...first.input,
      ...summarise.input.slice(first.input.length, -1),
    ]);
    expect(text(summarise.input.at(-1))).toContain("handoff summary");
    expect(after.input.slice(0, 3)).toEqual(first.input.slice(0, 3));
    expect(text(after.input[3])).toBe("The task");
    expect(text(after.input[4])).toContain("Summary: planned; nothing changed yet.");
    expect(after.input).toHaveLength(5);
  });

  it("refuses a working folder that does not exist, before any step", async () => {
    const { model } = await replay("fix-sum");
    const runner = await sandbox(await tinyRepo());
    await expect(runAgent({ model, runner, cwd: "/nonexistent/loopwright", task: "x" })).rejects.toThrow(
      /does not exist/,
    );
  });
});
