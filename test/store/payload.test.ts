import { describe, expect, it } from "vitest";
import { capPayload, capText } from "../../src/store/payload.ts";

describe("capText", () => {
  it("keeps short text, cuts long text head+tail with a marker, and drops NUL", () => {
    expect(capText("short")).toBe("short");
    const cut = capText(`${"a".repeat(50)}${"b".repeat(50)}`, 20);
    expect(cut).toBe(`${"a".repeat(10)}\n…[80 chars cut]…\n${"b".repeat(10)}`);
    expect(capText("a\u0000b")).toBe("ab");
  });
});

describe("capPayload", () => {
  it("caps nested strings and replaces a payload still too large by a preview", () => {
    const nested = capPayload({ output: "x".repeat(100_000), list: ["y\u0000"] }) as {
      output: string;
      list: string[];
    };
    expect(nested.output.length).toBeLessThan(17_000);
    expect(nested.list).toEqual(["y"]);
    const huge = capPayload({
      items: Array.from({ length: 5_000 }, (_, i) => `item ${i} ${"z".repeat(50)}`),
    });
    expect(huge).toMatchObject({ truncated: true });
    expect(JSON.stringify(huge).length).toBeLessThan(70_000);
    expect(capPayload(undefined)).toEqual({});
  });
});
