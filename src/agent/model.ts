/**
 * The model interface the agent loop talks to. Items use the OpenAI Responses API shapes, which are
 * also the replay transcript's shapes; the Chat Completions adapter converts to and from them.
 */

export type InputText = { type: "input_text"; text: string };
export type OutputText = { type: "output_text"; text: string };

export type AssistantMessage = {
  type: "message";
  role: "assistant";
  content: OutputText[];
  id?: string;
  /** Set by newer Codex models; they expect it resent unchanged on later requests. */
  phase?: "commentary" | "final_answer" | null;
};
export type FunctionCall = {
  type: "function_call";
  name: string;
  arguments: string;
  call_id: string;
  id?: string;
};
export type Reasoning = {
  type: "reasoning";
  id?: string;
  summary: { type: "summary_text"; text: string }[];
  /** Opaque; carried forward unchanged so a stateless request keeps the model's reasoning. */
  encrypted_content?: string | null;
};

/** What a model turn returns. */
export type OutputItem = AssistantMessage | FunctionCall | Reasoning;

/** What a request carries: our messages, the model's earlier output, and tool results. */
export type InputItem =
  | { type: "message"; role: "developer" | "user"; content: InputText[] }
  | OutputItem
  | { type: "function_call_output"; call_id: string; output: string };

/** Token usage of one model turn, as the API reported it. */
export type Usage = {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  totalTokens: number;
};

/** A tool as the model sees it; `parameters` is the JSON Schema generated from the tool's zod schema. */
export type ToolSpec = { name: string; description: string; parameters: Record<string, unknown> };

export type ModelRequest = {
  instructions: string;
  input: InputItem[];
  tools: ToolSpec[];
  /** Stable for a whole task so the provider's prompt cache applies across its turns. */
  promptCacheKey: string;
  signal?: AbortSignal;
};

export type ModelTurn = { output: OutputItem[]; usage?: Usage };

export interface ModelClient {
  /** The model name, for logs and step events. */
  readonly model: string;
  /** The context window in tokens, used to decide when to compact. */
  readonly contextWindow: number;
  complete(request: ModelRequest): Promise<ModelTurn>;
}

export type ModelErrorKind =
  | "auth"
  | "model_not_found"
  | "quota"
  | "rate_limit"
  | "context_overflow"
  | "server"
  | "timeout"
  | "bad_response"
  | "replay_exhausted"
  | "aborted";

/** A model failure, classified so callers can tell the user what went wrong in words. */
export class ModelError extends Error {
  override name = "ModelError";
  readonly kind: ModelErrorKind;
  constructor(kind: ModelErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}
