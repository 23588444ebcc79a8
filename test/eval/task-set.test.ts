import { describe, expect, it } from "vitest";
import { fileSafeId, formatTaskLine, parseTaskSet, TaskSetError } from "../../src/eval/task-set.ts";

const instance = {
  instance_id: "astropy__astropy-12907",
  repo: "astropy/astropy",
  base_commit: "d16bfe05a744909de4b27f5875fe0d4ed41ce607",
  problem_statement:
    "Modeling's `separability_matrix` does not compute separability correctly for nested CompoundModels",
  patch: "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n",
  test_patch:
    "diff --git a/test_a.py b/test_a.py\n--- a/test_a.py\n+++ b/test_a.py\n@@ -1 +1 @@\n-y = 1\n+y = 2\n",
  FAIL_TO_PASS: '["astropy/modeling/tests/test_separable.py::test_separable[compound_model6-result6]"]',
  PASS_TO_PASS:
    '["astropy/modeling/tests/test_separable.py::test_coord_matrix", "astropy/modeling/tests/test_separable.py::test_cdot"]',
  version: "4.3",
  environment_setup_commit: "298ccb478e6bf092953bca67a3d29dc6c35f6752",
  hints_text: "",
  created_at: "2022-03-03T15:14:54Z",
};

describe("parseTaskSet", () => {
  it("reads SWE-bench lines whose test lists are JSON-encoded strings, keeping the other fields", () => {
    const [task] = parseTaskSet(`${JSON.stringify(instance)}\n`, "swe.jsonl");
    expect(task?.FAIL_TO_PASS).toEqual([
      "astropy/modeling/tests/test_separable.py::test_separable[compound_model6-result6]",
    ]);
    expect(task?.PASS_TO_PASS).toHaveLength(2);
    expect(task?.version).toBe("4.3");
    expect(task?.test_command).toBeUndefined();
  });

  it("reads mined lines whose test lists are arrays, and skips blank lines", () => {
    const mined = {
      ...instance,
      FAIL_TO_PASS: ["clamp > lowers"],
      PASS_TO_PASS: [],
      test_command: "npm test",
    };
    const tasks = parseTaskSet(`\n${JSON.stringify(mined)}\n\n`, "tasks.jsonl");
    expect(tasks.map((task) => [task.FAIL_TO_PASS, task.PASS_TO_PASS, task.test_command])).toEqual([
      [["clamp > lowers"], [], "npm test"],
    ]);
  });

  it("defaults a missing PASS_TO_PASS to none", () => {
    const { PASS_TO_PASS: _, ...withoutPassToPass } = instance;
    expect(parseTaskSet(JSON.stringify(withoutPassToPass), "s")[0]?.PASS_TO_PASS).toEqual([]);
  });

  it("names the line and the problem of a malformed line", () => {
    const good = JSON.stringify(instance);
    expect(() => parseTaskSet(`${good}\n{"instance_id": 1`, "tasks.jsonl")).toThrow(TaskSetError);
    expect(() => parseTaskSet(`${good}\n{"instance_id": 1`, "tasks.jsonl")).toThrow(
      /^tasks\.jsonl line 2: not valid JSON \(/,
    );
    expect(() => parseTaskSet(JSON.stringify({ ...instance, FAIL_TO_PASS: "not json" }), "t")).toThrow(
      "t line 1: not a task: FAIL_TO_PASS: expected a list of test names, or a JSON string of one",
    );
    expect(() => parseTaskSet(JSON.stringify({ ...instance, FAIL_TO_PASS: [] }), "t")).toThrow(
      "FAIL_TO_PASS: expected at least one test",
    );
    expect(() => parseTaskSet(JSON.stringify({ ...instance, base_commit: "main" }), "t")).toThrow(
      "t line 1: not a task: base_commit: expected a commit id (hex)",
    );
    const { patch: _, ...withoutPatch } = instance;
    expect(() => parseTaskSet(JSON.stringify(withoutPatch), "t")).toThrow(
      "patch: expected the fix as a git diff",
    );
    expect(() => parseTaskSet("[1, 2]", "t")).toThrow("t line 1: not a task");
  });

  it("refuses an instance_id used twice, naming both lines", () => {
    const line = JSON.stringify(instance);
    expect(() => parseTaskSet(`${line}\n${line}`, "t")).toThrow(
      't line 2: instance_id "astropy__astropy-12907" is already used on line 1',
    );
  });

  it("writes a line that reads back the same, SWE-bench fields first", () => {
    const [task] = parseTaskSet(JSON.stringify(instance), "t");
    if (!task) throw new Error("no task");
    const line = formatTaskLine(task);
    expect(Object.keys(JSON.parse(line)).slice(0, 8)).toEqual([
      "instance_id",
      "repo",
      "base_commit",
      "problem_statement",
      "patch",
      "test_patch",
      "FAIL_TO_PASS",
      "PASS_TO_PASS",
    ]);
    expect(parseTaskSet(line, "t")).toEqual([task]);
  });
});

describe("fileSafeId", () => {
  it("keeps safe ids and makes others safe, telling them apart by a hash", () => {
    expect(fileSafeId("mini-4f1c2ab93e01")).toBe("mini-4f1c2ab93e01");
    expect(fileSafeId("django/django-11099")).toMatch(/^django_django-11099-[0-9a-f]{8}$/);
    expect(fileSafeId("a/b")).not.toBe(fileSafeId("a_b"));
    expect(fileSafeId("../x")).not.toContain("/");
  });
});
