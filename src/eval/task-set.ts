import { createHash } from "node:crypto";
import { z } from "zod";
import { readJsonLines } from "../jsonl.ts";

/** A task set that cannot be read, naming the file and line. */
export class TaskSetError extends Error {
  override name = "TaskSetError";
}

/** SWE-bench keeps test lists as JSON-encoded strings; mined sets as arrays. Both are accepted. */
const testList = z.unknown().transform((value, ctx) => {
  let list = value;
  if (typeof value === "string") {
    try {
      list = JSON.parse(value);
    } catch {
      ctx.addIssue({ code: "custom", message: "expected a list of test names, or a JSON string of one" });
      return z.NEVER;
    }
  }
  if (!Array.isArray(list) || !list.every((item) => typeof item === "string")) {
    ctx.addIssue({ code: "custom", message: "expected a list of test names, or a JSON string of one" });
    return z.NEVER;
  }
  return list as string[];
});

const text = (what: string) => z.string({ error: `expected ${what}` });

/** One task of a set, as a task set line or an eval task's request holds it. */
export const evalTaskSchema = z.looseObject({
  instance_id: text("the task's id as text").trim().min(1, { error: "expected a non-empty id" }),
  /** A local path, a file:// or https URL, or SWE-bench's `owner/name`. */
  repo: text("the repository (a path, a URL, or owner/name)").trim().min(1),
  base_commit: text("a commit id").regex(/^[0-9a-f]{7,64}$/i, { error: "expected a commit id (hex)" }),
  problem_statement: text("the problem statement as text").trim().min(1, { error: "is empty" }),
  /** The recorded fix (a git diff); what `--oracle` applies. */
  patch: text("the fix as a git diff"),
  /** The held-back test changes (a git diff), applied before the tests run. */
  test_patch: text("the test changes as a git diff"),
  FAIL_TO_PASS: testList.refine((list) => list.length > 0, { error: "expected at least one test" }),
  PASS_TO_PASS: z.preprocess((value) => value ?? [], testList),
  /** How the tests run; `{file}` in it runs one test file at a time. Absent: `eval run --test-command`. */
  test_command: text("a shell command").trim().min(1).optional(),
  /** The fix commit of a mined task. */
  commit: text("a commit id").optional(),
  created_at: z.string().optional(),
});

/** One task of a set: SWE-bench's fields, plus Loopwright's `test_command` and `commit`. */
export type EvalTask = z.output<typeof evalTaskSchema>;

/**
 * Parses a task set: JSON Lines of SWE-bench-style instances (`instance_id`, `repo`, `base_commit`,
 * `problem_statement`, `patch`, `test_patch`, `FAIL_TO_PASS`, `PASS_TO_PASS`, test lists as arrays or
 * JSON strings), other fields kept as they are. Blank lines are ignored.
 *
 * @example
 * parseTaskSet(await readFile("tasks.jsonl", "utf8"), "tasks.jsonl");
 * @throws TaskSetError naming the line: not JSON, a missing or malformed field, a repeated instance_id
 */
export function parseTaskSet(content: string, source: string): EvalTask[] {
  return parseSetLines(content, source, evalTaskSchema, "a task");
}

/**
 * Parses a set of JSON Lines whose lines `schema` describes, each with its own `instance_id` (eval
 * task sets, review sets). Blank lines are ignored.
 *
 * @example
 * parseSetLines(text, "reviews.jsonl", reviewCaseSchema, "a review case");
 * @throws TaskSetError naming the line: not JSON, a missing or malformed field, a repeated instance_id
 */
export function parseSetLines<T extends { instance_id: string }>(
  content: string,
  source: string,
  schema: z.ZodType<T>,
  what: string,
): T[] {
  const lines = new Map<string, number>();
  return readJsonLines(
    content,
    source,
    (json, where, line) => {
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        const problems = parsed.error.issues.map(
          (issue) => `${issue.path.join(".") || "the line"}: ${issue.message}`,
        );
        throw new TaskSetError(`${where}: not ${what}: ${problems.join("; ")}`);
      }
      const earlier = lines.get(parsed.data.instance_id);
      if (earlier !== undefined) {
        throw new TaskSetError(
          `${where}: instance_id ${JSON.stringify(parsed.data.instance_id)} is already used on line ${earlier}`,
        );
      }
      lines.set(parsed.data.instance_id, line);
      return parsed.data;
    },
    (message) => new TaskSetError(message),
  );
}

/**
 * One line of a task set for `task`, fields in SWE-bench's order then Loopwright's.
 *
 * @example
 * await appendFile("tasks.jsonl", `${formatTaskLine(task)}\n`);
 */
export function formatTaskLine(task: EvalTask): string {
  const {
    instance_id,
    repo,
    base_commit,
    problem_statement,
    patch,
    test_patch,
    FAIL_TO_PASS,
    PASS_TO_PASS,
    ...rest
  } = task;
  return JSON.stringify({
    instance_id,
    repo,
    base_commit,
    problem_statement,
    patch,
    test_patch,
    FAIL_TO_PASS,
    PASS_TO_PASS,
    ...rest,
  });
}

/**
 * A task id as a file name: kept when it is one already, else made safe and told apart by a hash.
 *
 * @example
 * fileSafeId("sum-4f1c2ab93e01"); // "sum-4f1c2ab93e01"
 * fileSafeId("django/django-11099"); // "django_django-11099-" and 8 hex digits of its hash
 */
export function fileSafeId(id: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$/.test(id)) return id;
  const hash = createHash("sha256").update(id).digest("hex").slice(0, 8);
  return `${id.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 100)}-${hash}`;
}
