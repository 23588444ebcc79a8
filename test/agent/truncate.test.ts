import { describe, expect, it } from "vitest";
import { truncateHeadTail } from "../../src/agent/truncate.ts";

describe("truncateHeadTail", () => {
  it("leaves short text alone", () => {
    expect(truncateHeadTail("a\nb", { maxBytes: 100, maxLines: 10 })).toEqual({
      text: "a\nb",
      truncated: false,
      cutLines: 0,
      cutBytes: 0,
    });
  });

  it("keeps head and tail lines with a marker saying what was cut", () => {
    const result = truncateHeadTail("a\nb\nc\nd\ne", { maxBytes: 1000, maxLines: 2 });
    expect(result).toEqual({
      text: "a\n[... 3 lines (5 bytes) cut ...]\ne",
      truncated: true,
      cutLines: 3,
      cutBytes: 5,
    });
  });

  it("applies the default 256-line limit to long output", () => {
    const text = Array.from({ length: 1000 }, (_, index) => `line ${index}`).join("\n");
    const result = truncateHeadTail(text);
    const lines = result.text.split("\n");
    expect(lines).toHaveLength(257);
    expect(lines[0]).toBe("line 0");
    expect(lines.at(-1)).toBe("line 999");
    expect(result.text).toContain("[... 744 lines");
  });

  it("applies the byte limit, cutting a single huge line at a character boundary", () => {
    const result = truncateHeadTail("é".repeat(20_000), { maxBytes: 1024, maxLines: 256 });
    expect(Buffer.byteLength(result.text)).toBeLessThan(1024 + 60);
    expect(result.text).not.toContain("\uFFFD");
    expect(result.text).toMatch(/^é+\n\[\.\.\. 1 line \(\d+ bytes\) cut \.\.\.\]\né+$/);
  });

  it("keeps head and tail when only bytes are limited", () => {
    const text = Array.from({ length: 1000 }, (_, index) => `line ${index}`).join("\n");
    const result = truncateHeadTail(text, { maxBytes: 100, maxLines: Number.POSITIVE_INFINITY });
    expect(result.text).toMatch(/^line 0\n[\s\S]*\nline 999$/);
    expect(
      result.cutBytes + Buffer.byteLength(result.text.replace(/\n\[\.\.\. .* cut \.\.\.\]/, "")) + 1,
    ).toBe(Buffer.byteLength(text));
  });
});
