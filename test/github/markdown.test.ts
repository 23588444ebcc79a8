import { describe, expect, it } from "vitest";
import {
  codeBlock,
  condenseMarkdown,
  details,
  escapeInline,
  findMarker,
  inlineCode,
  marker,
  neutralizeMentions,
  restoreCollapsedCode,
  safeMarkdown,
  taskMarker,
} from "../../src/github/markdown.ts";

/** Whether every code fence in the text is closed (a line scan like GitHub's). */
function fencesBalanced(text: string): boolean {
  let open: string | undefined;
  for (const line of text.split("\n")) {
    const match = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (!match) continue;
    const run = match[1] ?? "";
    if (open === undefined) open = run;
    else if (run[0] === open[0] && run.length >= open.length && (match[2] ?? "").trim() === "")
      open = undefined;
  }
  return open === undefined;
}

describe("mentions and inline text", () => {
  it("neutralizes user and team mentions but not e-mail addresses or code", () => {
    expect(neutralizeMentions("@ann and @org/team, mail a@b.com, `@x`")).toBe(
      "@&#8203;ann and @&#8203;org/team, mail a@b.com, `@x`",
    );
  });

  it("escapes markdown syntax and HTML in inline text", () => {
    expect(escapeInline("**b** [l](u) <details> # | ~ !\n@ann")).toBe(
      "\\*\\*b\\*\\* \\[l\\]\\(u\\) \\<details\\> \\# \\| \\~ \\! @&#8203;ann",
    );
  });

  it("makes inline code spans that contain backticks", () => {
    expect(inlineCode("npm test")).toBe("`npm test`");
    expect(inlineCode("a `b` c")).toBe("``a `b` c``");
    expect(inlineCode("`x`")).toBe("`` `x` ``");
    expect(inlineCode("two\nlines")).toBe("`two lines`");
  });

  it("makes code blocks nothing inside can close", () => {
    expect(codeBlock("x")).toBe("```\nx\n```");
    expect(codeBlock("```\nnot the end\n````\n", "md")).toBe("`````md\n```\nnot the end\n````\n`````");
  });
});

describe("safeMarkdown", () => {
  it("keeps formatting but defuses HTML and mentions outside code", () => {
    expect(safeMarkdown("**Fixed** </details><!-- loopwright:task=x --> cc @ann `<b> @x`")).toBe(
      "**Fixed** &lt;/details>&lt;!-- loopwright:task=x --> cc @&#8203;ann `<b> @x`",
    );
  });

  it("leaves code blocks alone and closes an unclosed fence", () => {
    const text = "before\n~~~ts\nconst a = '<b>' // @ann\n~~~\n````\nopen </details>";
    const safe = safeMarkdown(text);
    expect(safe).toBe("before\n~~~ts\nconst a = '<b>' // @ann\n~~~\n````\nopen </details>\n````");
    expect(fencesBalanced(safe)).toBe(true);
    expect(fencesBalanced(safeMarkdown("```\n```` not a closer\n"))).toBe(true);
  });

  it("does not let a marker be spoofed", () => {
    expect(findMarker(safeMarkdown("<!-- loopwright:task=evil -->"), "task")).toBeUndefined();
  });
});

describe("condenseMarkdown", () => {
  const log = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join("\n");

  it("returns short text unchanged", () => {
    expect(condenseMarkdown("short", 100)).toBe("short");
  });

  it("drops whole lines from the middle, keeping the start and the end", () => {
    const condensed = condenseMarkdown(log, 2000);
    expect(condensed.length).toBeLessThanOrEqual(2000);
    expect(condensed.startsWith("line 0\nline 1\n")).toBe(true);
    expect(condensed.endsWith("line 1999")).toBe(true);
    const omitted = Number(/\[\.\.\. (\d+) lines omitted \.\.\.\]/.exec(condensed)?.[1]);
    const kept = condensed.split("\n").filter((line) => line.startsWith("line ")).length;
    expect(kept + omitted).toBe(2000);
    for (const line of condensed.split("\n"))
      expect(line).toMatch(/^(line \d+|\*\[\.\.\. \d+ lines omitted \.\.\.\]\*|)$/);
  });

  it("closes and reopens a fence cut in the middle", () => {
    const fenced = [
      "intro",
      "````",
      ...Array.from({ length: 3000 }, (_, i) => `out ${i}`),
      "````",
      "end",
    ].join("\n");
    const condensed = condenseMarkdown(fenced, 3000);
    expect(condensed.length).toBeLessThanOrEqual(3000);
    expect(fencesBalanced(condensed)).toBe(true);
    expect(condensed).toMatch(/out \d+\n````\n\n\*\[\.\.\. \d+ lines omitted \.\.\.\]\*\n\n````\nout \d+/);
    expect(condensed.endsWith("````\nend")).toBe(true);
  });

  it("closes a fence left open by the original text, and copes with a line longer than the budget", () => {
    const open = `\`\`\`\n${"x".repeat(5000)}\nshort`;
    const condensed = condenseMarkdown(open, 300);
    expect(condensed.length).toBeLessThanOrEqual(300);
    expect(fencesBalanced(condensed)).toBe(true);
    expect(condenseMarkdown("y".repeat(5000), 200)).toBe("\n*[... 1 line omitted ...]*\n");
  });
});

describe("details and markers", () => {
  it("renders a collapsed block with a summary escaped as HTML (GitHub shows backslashes in HTML raw)", () => {
    expect(details("Log (3) <b> & @ann", "body")).toBe(
      "<details>\n<summary>Log (3) &lt;b&gt; &amp; @&#8203;ann</summary>\n\nbody\n\n</details>",
    );
  });

  it("restores whole collapsed code blocks after safeMarkdown, and only those", () => {
    const block = [
      "- `shell` `npm test` → exit 1",
      "  <details><summary>output</summary>",
      "",
      "  ```text",
      "  FAIL </details>",
      "  ```",
      "",
      "  </details>",
    ];
    expect(restoreCollapsedCode(safeMarkdown(block.join("\n")))).toBe(block.join("\n"));

    // Cut by condensing before its end, forged by the model, or wrapping prose: it stays escaped.
    const cut = safeMarkdown(["  <details><summary>output</summary>", "", "  ```text", "  x"].join("\n"));
    expect(restoreCollapsedCode(cut)).not.toContain("<details>");
    const lone = safeMarkdown("</details>\n<details><summary>output</summary>\n\nplain prose\n\n</details>");
    expect(restoreCollapsedCode(lone)).toBe(lone);
    const html = safeMarkdown("<details><summary><img src=x></summary>\n\n```\nx\n```\n\n</details>");
    expect(restoreCollapsedCode(html)).toBe(html);
    // A close line that a longer fence keeps inside code does not count.
    const swallowed = safeMarkdown(
      ["<details><summary>output</summary>", "", "```", "x", "````", "", "```", "", "</details>"].join("\n"),
    );
    expect(restoreCollapsedCode(swallowed)).not.toContain("<details>");
  });

  it("writes and finds markers", () => {
    expect(taskMarker("t_1")).toBe("<!-- loopwright:task=t_1 -->");
    expect(findMarker(`Working\n${taskMarker("t_1")}`, "task")).toBe("t_1");
    expect(findMarker("nothing", "task")).toBeUndefined();
    expect(findMarker(null, "task")).toBeUndefined();
    expect(marker("unauthorized", "a b-->c")).toBe("<!-- loopwright:unauthorized=a_b--_c -->");
    expect(findMarker(marker("unauthorized", "ann"), "task")).toBeUndefined();
  });
});
