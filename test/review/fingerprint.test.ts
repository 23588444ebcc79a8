import { describe, expect, it } from "vitest";
import { codeStillPresent, fingerprintOf, normalizeCode } from "../../src/review/fingerprint.ts";

describe("fingerprintOf", () => {
  const base = { path: "src/sum.js", code: ["  return a - b;"], title: "sum() subtracts instead of adding" };

  it("is stable when the lines move, are re-indented or the title's case and punctuation change", () => {
    const print = fingerprintOf(base);
    expect(fingerprintOf({ ...base, code: ["\treturn   a - b;", ""] })).toBe(print);
    expect(fingerprintOf({ ...base, title: "Sum() subtracts instead of adding." })).toBe(print);
    expect(print).toMatch(/^[0-9a-f]{24}$/);
  });

  it("changes with the file, the code or the title's words", () => {
    const print = fingerprintOf(base);
    expect(fingerprintOf({ ...base, path: "src/other.js" })).not.toBe(print);
    expect(fingerprintOf({ ...base, code: ["return a + b;"] })).not.toBe(print);
    expect(fingerprintOf({ ...base, title: "sum() overflows" })).not.toBe(print);
  });
});

describe("codeStillPresent", () => {
  const file = ["function f(a, b) {", "", "  const x = a;", "  return a - b;", "}"];

  it("finds the code as consecutive non-blank lines anywhere in the file", () => {
    expect(codeStillPresent(file, ["return a - b;"])).toBe(true);
    expect(codeStillPresent(file, ["function f(a, b) {", "const x = a;"])).toBe(true);
    expect(codeStillPresent(["// moved", ...file], ["  return a - b;"])).toBe(true);
  });

  it("is false once the code changed", () => {
    expect(codeStillPresent(file, ["return a + b;"])).toBe(false);
    expect(codeStillPresent(file, ["const x = a;", "}"])).toBe(false);
  });

  it("treats empty code as present (nothing to show gone)", () => {
    expect(codeStillPresent(file, ["", "  "])).toBe(true);
    expect(normalizeCode([" a  b ", ""])).toEqual(["a b"]);
  });
});
