import { TASK_STATUSES, type TaskStatus } from "../store/tasks.ts";
import type { StepCursor } from "./step-feed.ts";

/** A validated task-list query: filters, keyset cursor and page size. */
export type ListQuery = {
  repository: string | undefined;
  kind: string | undefined;
  status: TaskStatus | undefined;
  requester: string | undefined;
  before: number | undefined;
  limit: number;
};

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const NAME = /^[\w.\-/:@]{1,200}$/;

function optionalName(params: URLSearchParams, key: string): Parsed<string | undefined> {
  const value = params.get(key)?.trim();
  if (value === undefined || value === "") return { ok: true, value: undefined };
  if (!NAME.test(value))
    return { ok: false, error: `${key} is not a valid name (got ${JSON.stringify(value.slice(0, 60))})` };
  return { ok: true, value };
}

function positiveInteger(params: URLSearchParams, key: string, max: number): Parsed<number | undefined> {
  const value = params.get(key)?.trim();
  if (value === undefined || value === "") return { ok: true, value: undefined };
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) {
    return {
      ok: false,
      error: `${key} expects a whole number from 1 to ${max} (got ${JSON.stringify(value.slice(0, 20))})`,
    };
  }
  return { ok: true, value: parsed };
}

/**
 * The task list's query string, checked: `repository`, `kind`, `status`, `requester`, `before` (a
 * task id, the keyset cursor) and `limit` (1–200, default `defaultLimit`).
 *
 * @example
 * parseListQuery(new URLSearchParams("status=running&limit=20"), 50); // { ok: true, value: { … } }
 */
export function parseListQuery(params: URLSearchParams, defaultLimit: number): Parsed<ListQuery> {
  const repository = optionalName(params, "repository");
  const kind = optionalName(params, "kind");
  const requester = optionalName(params, "requester");
  const before = positiveInteger(params, "before", 2_147_483_647);
  const limit = positiveInteger(params, "limit", 200);
  for (const part of [repository, kind, requester, before, limit]) if (!part.ok) return part;
  const status = params.get("status")?.trim() || undefined;
  if (status !== undefined && !TASK_STATUSES.includes(status as TaskStatus)) {
    return {
      ok: false,
      error: `status expects one of ${TASK_STATUSES.join(", ")} (got ${JSON.stringify(status.slice(0, 40))})`,
    };
  }
  return {
    ok: true,
    value: {
      repository: repository.ok ? repository.value : undefined,
      kind: kind.ok ? kind.value : undefined,
      status: status as TaskStatus | undefined,
      requester: requester.ok ? requester.value : undefined,
      before: before.ok ? before.value : undefined,
      limit: (limit.ok ? limit.value : undefined) ?? defaultLimit,
    },
  };
}

/**
 * A step cursor "ATTEMPT.SEQ" (as in step ids; "0.-1" is before the first step), or undefined for none.
 *
 * @example
 * parseCursor("2.7"); // { ok: true, value: { attempt: 2, seq: 7 } }
 */
export function parseCursor(value: string | null | undefined): Parsed<StepCursor | undefined> {
  if (value === null || value === undefined || value.trim() === "") return { ok: true, value: undefined };
  const match = /^(\d{1,9})\.(-1|\d{1,9})$/.exec(value.trim());
  if (!match)
    return {
      ok: false,
      error: `a step cursor looks like 2.7 (attempt.step), got ${JSON.stringify(value.slice(0, 30))}`,
    };
  return { ok: true, value: { attempt: Number(match[1]), seq: Number(match[2]) } };
}

/**
 * A task id from a path segment, or undefined when it is not one.
 *
 * @example
 * parseTaskId("42"); // 42
 */
export function parseTaskId(segment: string | undefined): number | undefined {
  if (segment === undefined || !/^\d{1,10}$/.test(segment)) return undefined;
  const id = Number(segment);
  return id >= 1 && id <= 2_147_483_647 ? id : undefined;
}
