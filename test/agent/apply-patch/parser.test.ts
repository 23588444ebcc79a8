import { describe, expect, it } from "vitest";
import { ApplyPatchError, parsePatch } from "../../../src/agent/apply-patch/index.ts";

const wrap = (body: string) => `*** Begin Patch\n${body}\n*** End Patch\n`;

function parseError(text: string): string {
  try {
    parsePatch(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ApplyPatchError);
    return (error as Error).message;
  }
  throw new Error("expected parsePatch to throw");
}

describe("parsePatch", () => {
  it("parses add, delete and update hunks with a move, anchors and end of file", () => {
    const hunks = parsePatch(
      wrap(
        [
          "*** Add File: path/add.py",
          "+abc",
          "+",
          "*** Delete File: path/delete.py",
          "*** Update File: path/update.py",
          "*** Move to: path/update2.py",
          "@@ def f():",
          "-    pass",
          "+    return 123",
          "@@",
          " tail",
          "+more",
          "*** End of File",
        ].join("\n"),
      ),
    );
    expect(hunks).toEqual([
      { type: "add", path: "path/add.py", contents: "abc\n\n" },
      { type: "delete", path: "path/delete.py" },
      {
        type: "update",
        path: "path/update.py",
        movePath: "path/update2.py",
        chunks: [
          {
            changeContext: "def f():",
            oldLines: ["    pass"],
            newLines: ["    return 123"],
            isEndOfFile: false,
          },
          { changeContext: undefined, oldLines: ["tail"], newLines: ["tail", "more"], isEndOfFile: true },
        ],
      },
    ]);
  });

  it("accepts an Add File without lines (an empty file) and an update hunk followed by another hunk", () => {
    expect(
      parsePatch(wrap("*** Add File: empty.txt\n*** Update File: a\n@@\n+line\n*** Add File: b\n+x")),
    ).toEqual([
      { type: "add", path: "empty.txt", contents: "" },
      {
        type: "update",
        path: "a",
        movePath: undefined,
        chunks: [{ changeContext: undefined, oldLines: [], newLines: ["line"], isEndOfFile: false }],
      },
      { type: "add", path: "b", contents: "x\n" },
    ]);
  });

  it("lets the first chunk omit @@ and reads an empty line inside a chunk as empty context", () => {
    const [hunk] = parsePatch(wrap("*** Update File: f\n import foo\n\n+bar"));
    expect(hunk).toEqual({
      type: "update",
      path: "f",
      movePath: undefined,
      chunks: [
        {
          changeContext: undefined,
          oldLines: ["import foo", ""],
          newLines: ["import foo", "", "bar"],
          isEndOfFile: false,
        },
      ],
    });
  });

  it("is lenient about whitespace around markers, hunk headers and a bare @@", () => {
    const text =
      "\n\n  *** Begin Patch \n  *** Update File: a.txt  \n  *** Move to: b.txt \n@@  \n-x\n+y\n*** End of File  \n *** End Patch\t\n";
    expect(parsePatch(text)).toEqual([
      {
        type: "update",
        path: "a.txt",
        movePath: "b.txt",
        chunks: [{ changeContext: undefined, oldLines: ["x"], newLines: ["y"], isEndOfFile: true }],
      },
    ]);
  });

  it("accepts CRLF patch text", () => {
    expect(parsePatch("*** Begin Patch\r\n*** Add File: a\r\n+x\r\n*** End Patch\r\n")).toEqual([
      { type: "add", path: "a", contents: "x\n" },
    ]);
  });

  it.each(["<<EOF", "<<'EOF'", '<<"EOF"'])("unwraps a %s heredoc", (opener) => {
    expect(parsePatch(`${opener}\n*** Begin Patch\n*** Delete File: a\n*** End Patch\nEOF\n`)).toEqual([
      { type: "delete", path: "a" },
    ]);
  });

  it("returns no hunks for an empty Begin/End pair", () => {
    expect(parsePatch("*** Begin Patch\n*** End Patch")).toEqual([]);
  });

  it("names a missing begin or end marker, and empty text", () => {
    expect(parseError("")).toContain("the patch is empty");
    expect(parseError(" \n\t")).toContain("the patch is empty");
    expect(parseError("bad")).toBe("Invalid patch: The first line of the patch must be '*** Begin Patch'");
    expect(parseError("*** Begin Patch\n*** Add File: a\n+x")).toBe(
      "Invalid patch: The last line of the patch must be '*** End Patch'",
    );
    expect(parseError("*** Begin Patch")).toContain("The last line of the patch must be '*** End Patch'");
    // A heredoc whose inside is not a patch reports the inner problem.
    expect(parseError("<<'EOF'\n*** Begin Patch\n*** Delete File: a\nEOF")).toContain(
      "must be '*** End Patch'",
    );
  });

  it("reports bad hunks with the line number in the given text", () => {
    expect(parseError(wrap("*** Frobnicate File: foo"))).toBe(
      "Invalid patch hunk on line 2: '*** Frobnicate File: foo' is not a valid hunk header. Valid hunk headers: '*** Add File: {path}', '*** Delete File: {path}', '*** Update File: {path}'",
    );
    // Leading blank lines and a heredoc opener shift the numbering like they shift the text.
    expect(parseError(`\n\n<<'EOF'\n${wrap("*** Delete File: a\n\n*** Nope")}EOF`)).toMatch(
      /^Invalid patch hunk on line 6: ''/,
    );
    expect(parseError(wrap("*** Update File: test.py"))).toBe(
      "Invalid patch hunk on line 2: Update file hunk for path 'test.py' is empty",
    );
    expect(parseError(wrap("*** Update File: a\n@@\n-x\n+y\nplain text"))).toBe(
      "Invalid patch hunk on line 6: Expected update hunk to start with a @@ context marker, got: 'plain text'",
    );
    expect(parseError(wrap("*** Update File: a\nplain"))).toContain(
      "line 3: Unexpected line found in update hunk: 'plain'. Every line should start with ' ' (context line), '+' (added line), or '-' (removed line)",
    );
    expect(parseError(wrap("*** Update File: a\n@@\n*** End of File"))).toBe(
      "Invalid patch hunk on line 4: Update hunk does not contain any lines",
    );
    expect(parseError(wrap("*** Update File: a\n@@ anchor"))).toBe(
      "Invalid patch hunk on line 4: Update hunk does not contain any lines",
    );
  });
});
