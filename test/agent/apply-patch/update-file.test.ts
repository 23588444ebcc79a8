import { describe, expect, it } from "vitest";
import { ApplyPatchError, parsePatch, type UpdateFileChunk } from "../../../src/agent/apply-patch/index.ts";
import { updateFileContents } from "../../../src/agent/apply-patch/update-file.ts";

/** The chunks of a one-file update patch whose body is `body`. */
function chunks(body: string): UpdateFileChunk[] {
  const [hunk] = parsePatch(`*** Begin Patch\n*** Update File: f\n${body}\n*** End Patch`);
  if (hunk?.type !== "update") throw new Error("not an update");
  return hunk.chunks;
}

describe("updateFileContents", () => {
  it("applies interleaved chunks and an end-of-file addition", () => {
    const patch = chunks("@@\n a\n-b\n+B\n@@\n c\n d\n-e\n+E\n@@\n f\n+g\n*** End of File");
    expect(updateFileContents("a\nb\nc\nd\ne\nf\n", patch, "f")).toBe("a\nB\nc\nd\nE\nf\ng\n");
  });

  it("puts a pure addition at the end of the file, whatever its position in the patch", () => {
    const patch = chunks("@@\n+after-context\n+second-line\n@@\n line1\n-line2\n-line3\n+line2-replacement");
    expect(updateFileContents("line1\nline2\nline3\n", patch, "f")).toBe(
      "line1\nline2-replacement\nafter-context\nsecond-line\n",
    );
  });

  it("retries without a trailing empty context line that stands for the final newline", () => {
    const patch = chunks("@@\n-last\n+LAST\n");
    expect(patch[0]?.oldLines).toEqual(["last", ""]);
    expect(updateFileContents("first\nlast\n", patch, "f")).toBe("first\nLAST\n");
  });

  it("searches each chunk after the previous one and after its @@ anchor", () => {
    const patch = chunks("@@ class B\n-  x\n+  y\n@@\n-  x\n+  z");
    expect(updateFileContents("class A\n  x\nclass B\n  x\n  x\n", patch, "f")).toBe(
      "class A\n  x\nclass B\n  y\n  z\n",
    );
  });

  it("keeps CRLF files CRLF, and leaves a stray CR in an LF file alone", () => {
    expect(updateFileContents("a\r\nb\r\n", chunks("@@\n-b\n+B"), "f")).toBe("a\r\nB\r\n");
    expect(updateFileContents("a\r\nb\n", chunks("@@\n-b\n+B"), "f")).toBe("a\r\nB\n");
  });

  it("always ends the result with a newline, and empties a file whose lines are all removed", () => {
    expect(updateFileContents("x", chunks("@@\n-x\n+y"), "f")).toBe("y\n");
    expect(updateFileContents("x\n", chunks("@@\n-x"), "f")).toBe("");
  });

  it("names the file and the lines it could not find", () => {
    expect(() => updateFileContents("a\n", chunks("@@\n-missing\n-lines\n+x"), "src/f.ts")).toThrow(
      new ApplyPatchError("Failed to find expected lines in src/f.ts:\nmissing\nlines"),
    );
    expect(() => updateFileContents("a\n", chunks("@@ def nope():\n-a\n+b"), "src/f.ts")).toThrow(
      "Failed to find context 'def nope():' in src/f.ts",
    );
  });

  it("says which expected line differs and what the closest match in the file has there", () => {
    const file = `${Array.from({ length: 38 }, (_, index) => `filler ${index + 1}`).join("\n")}\nfunction clamp(x) {\n  if (x < 0) return 0;\n  if (x > 10) return 11;\n  return x;\n}\n`;
    const patch = chunks(
      "@@\n function clamp(x) {\n   if (x < 0) return 0;\n-  if (x > 10) return 10;\n+  if (x > 10) return 9;\n   return x;",
    );
    expect(() => updateFileContents(file, patch, "src/clamp.js")).toThrow(
      new ApplyPatchError(
        "Failed to find expected lines in src/clamp.js:\nfunction clamp(x) {\n  if (x < 0) return 0;\n  if (x > 10) return 10;\n  return x;\n" +
          "The closest match starts at line 39: line 3 of the expected lines differs; line 41 of the file is `  if (x > 10) return 11;`, expected `  if (x > 10) return 10;`.",
      ),
    );
  });

  it("counts the differing lines, and says when the closest match runs past the end of the file", () => {
    expect(() => updateFileContents("a\nb\nc\n", chunks("@@\n a\n-B\n-C\n+x"), "f")).toThrow(
      "The closest match starts at line 1: line 2 of the expected lines differs; line 2 of the file is `b`, expected `B` (2 of the 3 expected lines differ).",
    );
    expect(() => updateFileContents("x\ny\nlast\n", chunks("@@\n last\n-gone\n+here"), "f")).toThrow(
      "The closest match starts at line 3: line 2 of the expected lines differs; the file ends at line 3, expected `gone`.",
    );
  });
});
