import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type FakeModelTurn = { output: unknown[]; usage?: Record<string, unknown> };

/**
 * A fault for the next `times` requests, before any scripted turn is taken: an HTTP error `reply`,
 * a hang while `hang` is pending, or an answer whose `output` stands in for the turn (a malformed
 * tool call, an empty answer) without using it up.
 */
export type FakeModelFault = {
  times: number;
  reply?: { status: number; body?: unknown; headers?: Record<string, string> };
  hang?: Promise<unknown>;
  output?: unknown[];
};

export type FakeOpenAI = {
  /** For OPENAI_BASE_URL. */
  baseUrl: string;
  /** Request bodies received, in order. */
  requests: Record<string, unknown>[];
  /** Milliseconds since epoch of each request's arrival. */
  arrivals: number[];
  /** Makes the next requests fail, hang or answer oddly; faults are used up in order. */
  fail(fault: FakeModelFault): void;
  close(): Promise<void>;
};

/**
 * An OpenAI Responses API stand-in on 127.0.0.1: answers `POST /v1/responses` with the scripted turns
 * in order (shaped like real responses), so the real `openai` client and adapter are exercised.
 * Each conversation (requests sharing a `prompt_cache_key`, i.e. one task attempt) replays the
 * turns from the first, so one fake serves several tasks; a function instead of a list gives each
 * conversation (numbered from 0 in order of arrival) turns of its own. Past the last turn it answers
 * 500 with a message naming the request number.
 *
 * @example
 * const openai = await startFakeOpenAI([{ output: [{ type: "message", role: "assistant", content: [...] }] }]);
 */
export async function startFakeOpenAI(
  turns: FakeModelTurn[] | ((conversation: number) => FakeModelTurn[]),
): Promise<FakeOpenAI> {
  const requests: Record<string, unknown>[] = [];
  const arrivals: number[] = [];
  const turnsTaken = new Map<unknown, number>();
  const conversations = new Map<unknown, number>();
  const faults: FakeModelFault[] = [];
  const server: Server = createServer(async (req, res) => {
    arrivals.push(Date.now());
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== "POST" || !req.url?.endsWith("/responses")) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          error: { message: `no route ${req.method} ${req.url}`, type: "invalid_request_error" },
        }),
      );
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
    requests.push(body);
    const fault = faults.find((candidate) => candidate.times > 0);
    if (fault) fault.times -= 1;
    if (fault?.hang) await fault.hang.catch(() => {});
    if (fault?.reply) {
      res.writeHead(fault.reply.status, { "content-type": "application/json", ...fault.reply.headers });
      res.end(fault.reply.body === undefined ? "" : JSON.stringify(fault.reply.body));
      return;
    }
    const taken = turnsTaken.get(body.prompt_cache_key) ?? 0;
    const conversation = conversations.get(body.prompt_cache_key) ?? conversations.size;
    conversations.set(body.prompt_cache_key, conversation);
    const script = typeof turns === "function" ? turns(conversation) : turns;
    const turn: FakeModelTurn | undefined = fault?.output ? { output: fault.output } : script[taken];
    if (!fault?.output) turnsTaken.set(body.prompt_cache_key, taken + 1);
    if (!turn) {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          error: { message: `fake OpenAI has no turn ${requests.length}`, type: "server_error" },
        }),
      );
      return;
    }
    const usage = turn.usage ?? {
      input_tokens: 1000,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 100,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 1100,
    };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id: `resp_${requests.length}`,
        object: "response",
        created_at: Math.floor(Date.now() / 1000),
        status: "completed",
        model: body.model,
        output: turn.output.map((item, index) => ({
          id: `item_${requests.length}_${index}`,
          status: "completed",
          ...(item as object),
        })),
        usage,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    arrivals,
    fail: (fault) => faults.push(fault),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
