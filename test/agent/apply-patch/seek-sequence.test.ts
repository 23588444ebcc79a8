import { describe, expect, it } from "vitest";
import { closestMatch, seekSequence } from "../../../src/agent/apply-patch/seek-sequence.ts";

describe("seekSequence", () => {
  it("finds an exact match at or after start", () => {
    expect(seekSequence(["foo", "bar", "baz"], ["bar", "baz"], 0, false)).toBe(1);
    expect(seekSequence(["x", "a", "x", "a"], ["x"], 1, false)).toBe(2);
    expect(seekSequence(["x", "a"], ["x"], 1, false)).toBeUndefined();
  });

  it("ignores trailing whitespace, then surrounding whitespace", () => {
    expect(seekSequence(["foo   ", "bar\t\t"], ["foo", "bar"], 0, false)).toBe(0);
    expect(seekSequence(["    foo   ", "   bar\t"], ["foo", "bar"], 0, false)).toBe(0);
  });

  it("normalises Unicode dashes, quotes and spaces last", () => {
    const line = "import asyncio  # local import \u2013 avoids top\u2011level dep";
    expect(seekSequence([line], ["import asyncio  # local import - avoids top-level dep"], 0, false)).toBe(0);
    expect(
      seekSequence(["\u201chi\u201d \u2018x\u2019\u00a0y\u3000z \u2212 1"], ["\"hi\" 'x' y z - 1"], 0, false),
    ).toBe(0);
    expect(seekSequence(["a\u2020b"], ["a-b"], 0, false)).toBeUndefined();
  });

  it("prefers a stricter match later in the file over a looser one earlier", () => {
    expect(seekSequence(["  a", "a"], ["a"], 0, false)).toBe(1);
    expect(seekSequence(["a\u2013b", "a-b "], ["a-b"], 0, false)).toBe(1);
  });

  it("with endOfFile only tries the position that ends the file", () => {
    expect(seekSequence(["end", "mid", "end"], ["end"], 0, true)).toBe(2);
    expect(seekSequence(["end", "mid"], ["end"], 0, true)).toBeUndefined();
  });

  it("handles empty and oversized patterns", () => {
    expect(seekSequence(["a"], [], 3, false)).toBe(3);
    expect(seekSequence(["just one line"], ["too", "many", "lines"], 0, false)).toBeUndefined();
    expect(seekSequence([], ["a"], 0, true)).toBeUndefined();
  });
});

describe("closestMatch", () => {
  it("finds the window with the most matching lines and its first difference", () => {
    expect(closestMatch(["a", "b", "x", "d"], ["a", "b", "c", "d"], 0)).toEqual({
      at: 0,
      matching: 3,
      firstDifference: 2,
    });
    expect(closestMatch(["q", "a", "z", "a", "b", "z"], ["a", "b", "c"], 0)).toEqual({
      at: 3,
      matching: 2,
      firstDifference: 2,
    });
  });

  it("compares leniently, prefers a window at or after start, and gives up when nothing matches", () => {
    expect(closestMatch(["  a\u2013b  ", "x"], ["a-b", "y"], 0)).toEqual({
      at: 0,
      matching: 1,
      firstDifference: 1,
    });
    expect(closestMatch(["a", "x", "a", "x"], ["a", "y"], 1)).toEqual({
      at: 2,
      matching: 1,
      firstDifference: 1,
    });
    expect(closestMatch(["a", "b"], ["c", "d"], 0)).toBeUndefined();
    expect(closestMatch([], ["c"], 0)).toBeUndefined();
  });
});
