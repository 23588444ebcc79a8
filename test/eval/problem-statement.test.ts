import { describe, expect, it } from "vitest";
import { problemStatement } from "../../src/eval/problem-statement.ts";
import { detectTestCommand } from "../../src/eval/test-command.ts";

describe("problemStatement", () => {
  it("keeps the message that describes the fix, without trailers", () => {
    expect(
      problemStatement(
        "Fix clamp above the maximum\n\nclamp(11, 0, 10) gave 11.\n\nSigned-off-by: Dev <d@x>\nCo-authored-by: Other <o@x>\n",
      ),
    ).toBe("Fix clamp above the maximum\n\nclamp(11, 0, 10) gave 11.");
  });

  it("never shows the fix: diffs in the message are removed", () => {
    const message = [
      "Fix pad",
      "",
      "The width was off by one:",
      "```diff",
      "--- a/lib/strings.js",
      "+++ b/lib/strings.js",
      "@@ -1 +1 @@",
      '-  return " ".repeat(width - text.length + 1) + text;',
      "```",
      "",
      "Call it like this:",
      "```js",
      'pad("ab", 4);',
      "```",
      "",
      "diff --git a/lib/strings.js b/lib/strings.js",
      "+secret fix",
      "(cherry picked from commit 4f1c2ab)",
    ].join("\n");
    const statement = problemStatement(message);
    expect(statement).toBe(
      'Fix pad\n\nThe width was off by one:\n\nCall it like this:\n```js\npad("ab", 4);\n```',
    );
    expect(statement).not.toContain("repeat");
  });
});

describe("detectTestCommand", () => {
  it("prefers the option, then the repository's config, then package.json, then node's layout", () => {
    const paths = ["test/sum.test.js"];
    const packageJson = '{"scripts":{"test":"node --test"}}';
    expect(detectTestCommand({ override: "make test", configured: "npm run t", packageJson, paths })).toEqual(
      {
        command: "make test",
        source: "--test-command",
      },
    );
    expect(detectTestCommand({ configured: "npm run t", packageJson, paths })?.source).toBe(
      "eval.test_command",
    );
    expect(detectTestCommand({ packageJson, paths })).toEqual({
      command: "npm test",
      source: "package.json",
    });
    expect(
      detectTestCommand({
        packageJson: '{"scripts":{"test":"echo \\"Error: no test specified\\" && exit 1"}}',
        paths,
      }),
    ).toEqual({ command: "node --test", source: "node --test layout" });
    expect(
      detectTestCommand({ packageJson: '{"scripts":{"pretest":"eslint .","test":"node --test"}}', paths })
        ?.command,
    ).toBe("npm test --ignore-scripts");
    expect(detectTestCommand({ packageJson: "{not json", paths: ["lib/sum.js"] })).toBeUndefined();
    expect(detectTestCommand({ paths: ["node_modules/x/test/a.js", "README.md"] })).toBeUndefined();
  });
});
