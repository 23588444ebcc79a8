import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseCookies, serializeCookie } from "../../src/web/cookie-header.ts";
import { createCookieSealer } from "../../src/web/sealed-cookie.ts";

describe("sealed cookies", () => {
  const key = randomBytes(32);

  it("round-trips a value without showing it, and refuses tampering, other keys and expiry", () => {
    let now = 1_000_000;
    const sealer = createCookieSealer(key, () => now);
    const sealed = sealer.seal({ login: "octocat", token: "ghu_secretToken" }, 60);
    expect(sealed).not.toContain("octocat");
    expect(Buffer.from(sealed.split(".")[1] as string, "base64url").toString()).not.toContain("ghu_");
    expect(sealer.open(sealed)).toEqual({ login: "octocat", token: "ghu_secretToken" });

    const parts = sealed.split(".");
    const flipped = (parts[1] as string).startsWith("A")
      ? `B${parts[1]?.slice(1)}`
      : `A${parts[1]?.slice(1)}`;
    expect(sealer.open([parts[0], flipped, parts[2], parts[3]].join("."))).toBeUndefined();
    expect(sealer.open(`${sealed}x`)).toBeUndefined();
    expect(sealer.open("not.a.cookie")).toBeUndefined();
    expect(createCookieSealer(randomBytes(32), () => now).open(sealed)).toBeUndefined();
    now += 61_000;
    expect(sealer.open(sealed)).toBeUndefined();
  });

  it("sets httpOnly, SameSite=Lax cookies, Secure over HTTPS, and parses headers leniently", () => {
    expect(serializeCookie("lw_session", "a b", { maxAge: 10, secure: false })).toBe(
      "lw_session=a%20b; Path=/; Max-Age=10; HttpOnly; SameSite=Lax",
    );
    expect(serializeCookie("lw_session", "", { maxAge: 0, secure: true })).toContain("; Secure");
    const cookies = parseCookies("a=1; lw_session=x%20y; a=2; bad=%E0%A4%A; =nameless");
    expect(cookies.get("a")).toBe("1");
    expect(cookies.get("lw_session")).toBe("x y");
    expect(cookies.has("bad")).toBe(false);
    expect(parseCookies(undefined).size).toBe(0);
  });
});
