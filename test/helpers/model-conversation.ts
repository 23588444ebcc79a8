import type { ModelRequest } from "../../src/agent/model.ts";

/**
 * A mid-task request as the loop builds it: the fixed prefix (developer and user messages), then a
 * finished turn (reasoning, a message, two calls) and the calls' results.
 */
export function sampleRequest(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    instructions: "You are Loopwright, a coding agent.",
    input: [
      { type: "message", role: "developer", content: [{ type: "input_text", text: "Sandbox: no network." }] },
      { type: "message", role: "user", content: [{ type: "input_text", text: "Fix the failing test." }] },
      {
        type: "reasoning",
        id: "rs_1",
        summary: [{ type: "summary_text", text: "Look first." }],
        encrypted_content: "gAAAAB-secret",
      },
      { type: "reasoning", id: "rs_0", summary: [] },
      {
        type: "message",
        role: "assistant",
        id: "msg_1",
        content: [{ type: "output_text", text: "Reading the test." }],
        phase: "commentary",
      },
      {
        type: "function_call",
        id: "fc_1",
        call_id: "call_1",
        name: "read_file",
        arguments: '{"path":"a.ts"}',
      },
      { type: "function_call", id: "fc_2", call_id: "call_2", name: "shell", arguments: '{"command":"ls"}' },
      { type: "function_call_output", call_id: "call_1", output: "1\texport const a = 1;" },
      { type: "function_call_output", call_id: "call_2", output: "a.ts" },
      {
        type: "message",
        role: "developer",
        content: [{ type: "input_text", text: "Context was compacted." }],
      },
    ],
    tools: [
      {
        name: "read_file",
        description: "Reads a file.",
        parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
      },
    ],
    promptCacheKey: "task-42",
    ...overrides,
  };
}
