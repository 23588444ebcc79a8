import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CODING_TOOLS } from "../../../src/agent/loop.ts";
import { createToolRouter } from "../../../src/agent/tools/router.ts";
import type { ToolContext } from "../../../src/agent/tools/tool.ts";
import { createSandbox } from "../../../src/workspace/sandbox.ts";
import { tinyRepo } from "../helpers/fixtures.ts";

let context: ToolContext;
const router = createToolRouter(CODING_TOOLS);
const call = (name: string, args: unknown) =>
  router.call(name, typeof args === "string" ? args : JSON.stringify(args), context);

beforeAll(async () => {
  const root = await tinyRepo();
  await mkdir(path.join(root, "lib", "deep"), { recursive: true });
  await writeFile(path.join(root, "lib", "deep", "util.ts"), "export const answer = 42;\n");
  await writeFile(path.join(root, "blob.bin"), Buffer.from([1, 0, 2]));
  await symlink("/etc", path.join(root, "etc-link"));
  context = {
    root,
    cwd: root,
    runner: await createSandbox({ mode: "none", workspace: root }),
    signal: new AbortController().signal,
  };
});

describe("the coding tools", () => {
  it("declares JSON schemas generated from the zod schemas", () => {
    const shell = router.specs.find((spec) => spec.name === "shell");
    expect(shell?.parameters).toMatchObject({
      type: "object",
      required: ["command"],
      properties: { command: { anyOf: [{ type: "string" }, { type: "array" }] } },
    });
  });

  it("read_file numbers lines and pages with offset/limit", async () => {
    const result = await call("read_file", { path: "test.js", offset: 3, limit: 2 });
    expect(result.output).toBe(
      "3\tconst got = sum(2, 3);\n4\tif (got !== 5) {\n(lines 3-4 of 8; use offset 5 for more)",
    );
    expect((await call("read_file", { path: "test.js", offset: 99 })).output).toMatch(/has 8 lines/);
    expect((await call("read_file", { path: "blob.bin" })).output).toMatch(/binary/);
    expect((await call("read_file", { path: "lib" })).output).toMatch(/is a folder/);
    expect((await call("read_file", { path: "missing.txt" })).output).toMatch(/no such file/);
  });

  it("list_files shows a tree to the asked depth", async () => {
    const shallow = await call("list_files", { depth: 1 });
    expect(shallow.output).toContain("  lib/");
    expect(shallow.output).not.toContain("deep/");
    expect(shallow.output).toContain("etc-link@");
    expect((await call("list_files", { path: "lib", depth: 3 })).output).toBe("lib/\n  deep/\n    util.ts");
  });

  it("search finds a pattern, honours a glob, and says when nothing matches", async () => {
    expect((await call("search", { pattern: "answer" })).output).toMatch(
      /lib\/deep\/util\.ts:1:export const answer = 42;/,
    );
    const scoped = await call("search", { pattern: "sum", glob: "*.ts" });
    expect(scoped.output).toBe("No matches.");
    expect((await call("search", { pattern: "return a - b", path: "." })).output).toContain("sum.js:2:");
  });

  it("refuses paths that leave the workspace, through any tool", async () => {
    for (const [name, args] of [
      ["read_file", { path: "/etc/hostname" }],
      ["read_file", { path: "etc-link/hostname" }],
      ["list_files", { path: ".." }],
      ["search", { pattern: "root", path: "etc-link" }],
      ["shell", { command: "pwd", workdir: "../.." }],
      ["apply_patch", { input: "*** Begin Patch\n*** Add File: etc-link/evil\n+x\n*** End Patch" }],
    ] as const) {
      const result = await call(name, args);
      expect(result.isError, name).toBe(true);
      expect(result.output, name).toMatch(/outside the workspace|through a symlink/);
    }
  });

  it("shell runs argv or a command line, in a workdir, with the exit code", async () => {
    const argv = await call("shell", {
      command: ["node", "-e", "console.log(process.cwd())"],
      workdir: "lib",
    });
    expect(argv).toMatchObject({ exitCode: 0, isError: false });
    expect(argv.output).toContain(path.join(context.root, "lib"));
    const line = await call("shell", { command: "echo oops >&2; exit 3" });
    expect(line).toMatchObject({ exitCode: 3, isError: true });
    expect(line.output).toMatch(/^Exit code: 3\n[\s\S]*oops/);
    const timeout = await call("shell", { command: "sleep 5", timeout_ms: 200 });
    expect(timeout.output).toMatch(/timed out after 200 ms/);
  });

  it("apply_patch edits files and reports patch errors as observations", async () => {
    const patch = "*** Begin Patch\n*** Add File: notes/todo.md\n+- fix sum\n*** End Patch";
    expect((await call("apply_patch", { input: patch })).output).toBe(
      "Success. Updated the following files:\nA notes/todo.md",
    );
    expect(await readFile(path.join(context.root, "notes/todo.md"), "utf8")).toBe("- fix sum\n");
    const bad = await call("apply_patch", {
      input: "*** Begin Patch\n*** Update File: sum.js\n@@\n-nothing like this\n+x\n*** End Patch",
    });
    expect(bad.isError).toBe(true);
    expect(bad.output).toMatch(/^apply_patch failed: .*sum\.js/);
  });

  it("update_plan returns the plan, and refuses two steps in progress", async () => {
    const plan = [
      { step: "a", status: "completed" },
      { step: "b", status: "in_progress" },
    ];
    expect(await call("update_plan", { plan })).toMatchObject({
      output: "Plan updated.",
      plan: { items: plan },
    });
    const two = await call("update_plan", {
      plan: [
        { step: "a", status: "in_progress" },
        { step: "b", status: "in_progress" },
      ],
    });
    expect(two).toMatchObject({ isError: true });
    expect(two.plan).toBeUndefined();
  });

  it("turns tools that throw into observations", async () => {
    const throwing = createToolRouter([
      {
        ...CODING_TOOLS[1]!,
        name: "boom",
        run: async () => {
          throw Object.assign(new Error("disk on fire"), { code: "EIO" });
        },
      },
    ]);
    expect(await throwing.call("boom", '{"path":"x"}', context)).toMatchObject({
      isError: true,
      output: "boom failed: disk on fire (EIO)",
    });
    expect(() => createToolRouter([CODING_TOOLS[0]!, CODING_TOOLS[0]!])).toThrow(
      /two tools are named "shell"/,
    );
  });
});
