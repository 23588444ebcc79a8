import type { Step } from "../store/steps.ts";
import type { Task, TaskStatus } from "../store/tasks.ts";

/** What the CLI reads through a running server's /api/v1 instead of the database. */
export type TaskApiClient = {
  /** Where it connects, for messages. */
  readonly baseUrl: string;
  listTasks(filter: { status?: TaskStatus; limit: number }): Promise<Task[]>;
  /** The task and its steps, or undefined when there is no such task. */
  getTask(id: number): Promise<{ task: Task; steps: Step[] } | undefined>;
  /** The latest attempt's transcript (JSONL), or undefined when there is no such task. */
  transcript(id: number): Promise<string | undefined>;
};

type Json = Record<string, unknown>;

const date = (value: unknown): Date | null => (typeof value === "string" ? new Date(value) : null);

function reviveTask(raw: Json): Task {
  const { links: _links, ...task } = raw;
  return {
    ...(task as unknown as Task),
    createdAt: date(raw.createdAt) as Date,
    startedAt: date(raw.startedAt),
    finishedAt: date(raw.finishedAt),
    updatedAt: date(raw.updatedAt) as Date,
  };
}

function reviveStep(raw: Json): Step {
  const { id: _id, ...step } = raw;
  return { ...(step as unknown as Step), startedAt: date(raw.startedAt) as Date };
}

/**
 * A client of a Loopwright server's JSON API with a bearer token (the local administrator's, from
 * the data folder, when the CLI reaches the `serve` that holds the embedded database).
 *
 * @example
 * const api = createTaskApiClient("http://localhost:3000", readLocalToken(settings.dataDir));
 * const tasks = await api.listTasks({ limit: 30 });
 * @throws Error saying what the server answered, or that it does not answer at all
 */
export function createTaskApiClient(baseUrl: string, token: string): TaskApiClient {
  const root = baseUrl.replace(/\/+$/, "");
  async function get(path: string): Promise<Response | undefined> {
    let response: Response;
    try {
      response = await fetch(`${root}${path}`, { headers: { authorization: `Bearer ${token}` } });
    } catch (error) {
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new Error(
        `the Loopwright server at ${root} does not answer (${reason}); set LOOPWRIGHT_URL to where it listens`,
      );
    }
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as Json;
      // The API's own 404 names the missing task; any other 404 is a server without the API.
      if (response.status === 404 && typeof body.error === "string") return undefined;
      if (response.status === 404) {
        throw new Error(
          `the server at ${root} does not serve the Loopwright API (is the GitHub App registered, and LOOPWRIGHT_URL right?)`,
        );
      }
      const said = typeof body.error === "string" ? body.error : `status ${response.status}`;
      throw new Error(`the Loopwright server at ${root} refused: ${said}`);
    }
    return response;
  }
  return {
    baseUrl: root,
    async listTasks(filter) {
      const params = new URLSearchParams({ limit: String(Math.min(filter.limit, 200)) });
      if (filter.status) params.set("status", filter.status);
      const response = await get(`/api/v1/tasks?${params}`);
      const body = ((await response?.json()) ?? { tasks: [] }) as { tasks: Json[] };
      return body.tasks.map(reviveTask);
    },
    async getTask(id) {
      const task = await get(`/api/v1/tasks/${id}`);
      if (!task) return undefined;
      const steps = await get(`/api/v1/tasks/${id}/steps`);
      const stepBody = ((await steps?.json()) ?? { steps: [] }) as { steps: Json[] };
      return {
        task: reviveTask(((await task.json()) as { task: Json }).task),
        steps: stepBody.steps.map(reviveStep),
      };
    },
    async transcript(id) {
      return (await get(`/api/v1/tasks/${id}/transcript`))?.text();
    },
  };
}
