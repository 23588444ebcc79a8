import { describe, expect, it } from "vitest";
import { redactSecrets } from "../src/redact.ts";

describe("redactSecrets", () => {
  it.each([
    ["installation token", "ghs_16C7e42F292c6912E7710c838347Ae178B4a"],
    ["personal token", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"],
    ["OAuth token", "gho_abcdefghijklmnopqrstuvwxyz0123456789"],
    ["fine-grained token", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"],
    ["OpenAI key", "sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz012345"],
    ["old installation token", "v1.0123456789abcdef0123456789abcdef01234567"],
  ])("hides a %s", (_kind, token) => {
    const text = `fatal: could not push with ${token} to origin`;
    expect(redactSecrets(text)).toBe("fatal: could not push with [REDACTED] to origin");
  });

  it("hides explicitly given secrets, longest first, and ignores empty ones", () => {
    expect(redactSecrets("pw=hunter22 and hunter2", ["hunter2", "hunter22", "", undefined])).toBe(
      "pw=[REDACTED] and [REDACTED]",
    );
  });

  it("treats secrets as literal text, not patterns", () => {
    expect(redactSecrets("a.b+c a-b-c", ["a.b+c"])).toBe("[REDACTED] a-b-c");
  });

  it("hides Authorization header values and passwords in URLs", () => {
    const header = "http.extraHeader=Authorization: Basic eC1hY2Nlc3MtdG9rZW46c2VjcmV0";
    expect(redactSecrets(header)).toBe("http.extraHeader=Authorization: Basic [REDACTED]");
    expect(redactSecrets("cloning https://x-access-token:s3cr3t@github.com/a/b.git")).toBe(
      "cloning https://x-access-token:[REDACTED]@github.com/a/b.git",
    );
  });

  it("hides PEM private keys", () => {
    const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc\n-----END RSA PRIVATE KEY-----";
    expect(redactSecrets(`key: ${pem} done`)).toBe("key: [REDACTED] done");
  });

  it("leaves ordinary text alone", () => {
    const text = "ghs_short sk-short task-12 https://github.com/acme/app.git";
    expect(redactSecrets(text)).toBe(text);
  });
});
