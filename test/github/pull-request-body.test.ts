import { describe, expect, it } from "vitest";
import { findMarker, GITHUB_BODY_LIMIT } from "../../src/github/markdown.ts";
import { type PullRequestBodyInput, renderPullRequestBody } from "../../src/github/pull-request-body.ts";

const input: PullRequestBodyInput = {
  taskId: "t_7",
  issueNumber: 12,
  requester: "ann",
  command: "/agent",
  result: {
    summary: "Fixed the off-by-one in `range()`.\n\nThanks @bob </details>",
    commands: [
      { command: "npm test", exitCode: 1 },
      { command: "npm test", exitCode: 0 },
      { command: "sleep 9999", exitCode: null },
    ],
    filesChanged: [
      { path: "src/range.ts", status: "modified" },
      { path: "src/new.ts", status: "renamed", previousPath: "src/old.ts" },
    ],
    stepLog: "### Step 1\n```\n$ npm test\nFAIL\n```",
    steps: 8,
    tokens: 51_200,
  },
};

/** Same scan as GitHub: every fence closed, and outside code <details> opened and closed alike. */
function wellFormed(body: string): boolean {
  let open: string | undefined;
  let depth = 0;
  for (const line of body.split("\n")) {
    const match = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (!match) {
      if (open === undefined) depth += line.split("<details>").length - line.split("</details>").length;
      continue;
    }
    const run = match[1] ?? "";
    if (open === undefined) open = run;
    else if (run[0] === open[0] && run.length >= open.length && (match[2] ?? "").trim() === "")
      open = undefined;
  }
  return open === undefined && depth === 0;
}

describe("renderPullRequestBody", () => {
  it("renders the marker, Fixes line, summary, commands, files and the collapsed step log", () => {
    const body = renderPullRequestBody(input);
    expect(findMarker(body, "task")).toBe("t_7");
    expect(body).toContain("\nFixes #12\n");
    expect(body).toContain("Fixed the off-by-one in `range()`.\n\nThanks @&#8203;bob &lt;/details>");
    expect(body).toContain(
      "### Commands run\n\n- ❌ `npm test` (exit 1)\n- ✅ `npm test` (exit 0)\n- ⏱️ `sleep 9999` (killed before it finished)",
    );
    expect(body).toContain(
      "### Files changed\n\n- `src/range.ts` (modified)\n- `src/new.ts` (renamed from `src/old.ts`)",
    );
    expect(body).toContain(
      "<details>\n<summary>Step log (8 steps, 51,200 tokens)</summary>\n\n### Step 1\n```\n$ npm test\nFAIL\n```\n\n</details>",
    );
    expect(body).toContain("Opened by Loopwright for @&#8203;ann. Comment `/agent <instructions>` here");
    expect(wellFormed(body)).toBe(true);
  });

  it("leaves out the Fixes line and empty sections for scheduled work", () => {
    const body = renderPullRequestBody({
      ...input,
      issueNumber: undefined,
      result: { ...input.result, summary: "", commands: [], filesChanged: [], stepLog: "" },
    });
    expect(body).not.toContain("Fixes");
    expect(body).not.toContain("### Commands run");
    expect(body).not.toContain("### Files changed");
    expect(body).toContain("(no summary)");
    expect(body).toContain("(empty)");
  });

  it("condenses an oversized step log by whole lines and keeps the body well formed", () => {
    const stepLog = Array.from({ length: 20_000 }, (_, i) =>
      i % 50 === 0 ? "```" : `step ${i}: output line </details> @ann`,
    ).join("\n");
    const body = renderPullRequestBody({ ...input, result: { ...input.result, stepLog } });
    expect(body.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(body.length).toBeGreaterThan(GITHUB_BODY_LIMIT - 2000);
    expect(body).toMatch(/\*\[\.\.\. \d+ lines omitted \.\.\.\]\*/);
    expect(body).toContain("step 19999: output line");
    expect(body).toContain("Fixes #12");
    expect(body.trimEnd().endsWith("here to ask for changes.</sub>")).toBe(true);
    expect(wellFormed(body)).toBe(true);
  });

  it("caps the summary, the command list and the file list", () => {
    const body = renderPullRequestBody({
      ...input,
      result: {
        ...input.result,
        summary: Array.from({ length: 10_000 }, (_, i) => `summary line ${i}`).join("\n"),
        commands: Array.from({ length: 100 }, (_, i) => ({
          command: `cmd ${i} ${"a".repeat(500)}`,
          exitCode: 0,
        })),
        filesChanged: Array.from({ length: 400 }, (_, i) => ({ path: `f${i}.ts`, status: "added" as const })),
        stepLog: "x\n".repeat(100_000),
      },
    });
    expect(body.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
    expect(body).toContain("- ... and 40 more");
    expect(body).toContain("- ... and 250 more");
    expect(body).toContain("<details>");
    expect(wellFormed(body)).toBe(true);
  });

  it("says the step log was left out when there is no room at all", () => {
    const body = renderPullRequestBody(input, 600);
    expect(body.length).toBeLessThanOrEqual(600);
    expect(body).toContain("The step log did not fit in the pull request body");
    expect(wellFormed(body)).toBe(true);
  });
});
