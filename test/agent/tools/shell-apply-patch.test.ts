import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CODING_TOOLS } from "../../../src/agent/loop.ts";
import { createToolRouter } from "../../../src/agent/tools/router.ts";
import { patchFromShellCommand } from "../../../src/agent/tools/shell-apply-patch.ts";
import { createSandbox } from "../../../src/workspace/sandbox.ts";
import { tinyRepo } from "../helpers/fixtures.ts";

const patch =
  "*** Begin Patch\n*** Update File: sum.js\n@@\n export function sum(a, b) {\n-  return a - b;\n+  return a + b;\n }\n*** End Patch";

describe("patchFromShellCommand", () => {
  it.each([
    [`apply_patch <<'EOF'\n${patch}\nEOF`],
    [`apply_patch <<"PATCH"\n${patch}\nPATCH\n`],
    [`  applypatch <<EOF\n${patch}\n  EOF`],
    [["apply_patch", patch]],
    [["bash", "-lc", `apply_patch <<'EOF'\n${patch}\nEOF`]],
  ])("recognises %j", (command) => {
    expect(patchFromShellCommand(command)).toBe(patch);
  });

  it.each([
    ["npm test"],
    [`cat <<'EOF' > file\n${patch}\nEOF`],
    [`apply_patch <<'EOF'\n${patch}\nEOF\nrm -rf /`],
    [["apply_patch"]],
    [["git", "apply", patch]],
  ])("leaves other commands alone: %j", (command) => {
    expect(patchFromShellCommand(command)).toBeUndefined();
  });
});

describe("shell with an apply_patch heredoc", () => {
  it("applies the patch with the engine, confined to the workspace", async () => {
    const root = await tinyRepo();
    const router = createToolRouter(CODING_TOOLS);
    const context = {
      root,
      cwd: root,
      runner: await createSandbox({ mode: "none", workspace: root }),
      signal: new AbortController().signal,
    };
    const result = await router.call(
      "shell",
      JSON.stringify({ command: `apply_patch <<'EOF'\n${patch}\nEOF` }),
      context,
    );
    expect(result.output).toContain("M sum.js");
    expect(await readFile(path.join(root, "sum.js"), "utf8")).toContain("return a + b;");

    const outside = patch.replace("sum.js", "../outside.js");
    const refused = await router.call(
      "shell",
      JSON.stringify({ command: ["apply_patch", outside] }),
      context,
    );
    expect(refused.isError).toBe(true);
    expect(refused.output).toMatch(/apply_patch failed/);
  });
});
