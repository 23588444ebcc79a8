import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { csrfTokenMatches, fromOwnOrigin } from "../../src/web/csrf.ts";

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe("CSRF protection", () => {
  it("accepts only the session's own token", () => {
    expect(csrfTokenMatches("s3cr3t-token", "s3cr3t-token")).toBe(true);
    expect(csrfTokenMatches("s3cr3t-token", "s3cr3t-toke")).toBe(false);
    expect(csrfTokenMatches("s3cr3t-token", "")).toBe(false);
    expect(csrfTokenMatches("s3cr3t-token", null)).toBe(false);
    expect(csrfTokenMatches("s3cr3t-token", undefined)).toBe(false);
  });

  it("accepts POSTs from the dashboard's origin (or its Host) and refuses other origins", () => {
    const publicUrl = "https://loopwright.example.com";
    expect(fromOwnOrigin(request({ origin: "https://loopwright.example.com" }), publicUrl)).toBe(true);
    expect(
      fromOwnOrigin(request({ origin: "http://127.0.0.1:3000", host: "127.0.0.1:3000" }), publicUrl),
    ).toBe(true);
    expect(fromOwnOrigin(request({ origin: "https://evil.example" }), publicUrl)).toBe(false);
    expect(fromOwnOrigin(request({ origin: "null" }), publicUrl)).toBe(false);
    expect(fromOwnOrigin(request({ referer: "https://evil.example/page" }), publicUrl)).toBe(false);
    expect(fromOwnOrigin(request({ referer: "https://loopwright.example.com/dashboard" }), publicUrl)).toBe(
      true,
    );
    expect(fromOwnOrigin(request({}), publicUrl)).toBe(true);
  });
});
