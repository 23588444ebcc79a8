import { cp, mkdtemp, realpath } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ModelClient, ModelRequest } from "../../../src/agent/model.ts";
import { loadReplayModel, type ReplayOptions } from "../../../src/agent/models/replay.ts";

const fixtures = path.resolve(import.meta.dirname, "../../fixtures");

/** A fresh copy of test/fixtures/repos/NAME in a temp folder (real path). */
export async function tinyRepo(name = "sum"): Promise<string> {
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), "loopwright-agent-")));
  await cp(path.join(fixtures, "repos", name), dir, { recursive: true });
  return dir;
}

export const transcriptPath = (name: string): string => path.join(fixtures, "transcripts", `${name}.jsonl`);

/** A replay model over test/fixtures/transcripts/NAME.jsonl that also keeps every request it got. */
export async function replay(
  name: string,
  options: ReplayOptions = {},
): Promise<{ model: ModelClient; requests: ModelRequest[] }> {
  const requests: ModelRequest[] = [];
  return { model: capture(await loadReplayModel(transcriptPath(name), options), requests), requests };
}

/** Wraps a model to keep a deep copy of each request it receives. */
export function capture(model: ModelClient, requests: ModelRequest[]): ModelClient {
  return {
    model: model.model,
    contextWindow: model.contextWindow,
    complete(request) {
      requests.push(structuredClone({ ...request, signal: undefined }));
      return model.complete(request);
    },
  };
}
