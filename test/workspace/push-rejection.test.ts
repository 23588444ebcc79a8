import { describe, expect, it } from "vitest";
import { classifyPushRejection, isPushRejection } from "../../src/workspace/push-rejection.ts";

describe("classifyPushRejection", () => {
  it("names the workflow files GitHub refused, plus the other changed ones", () => {
    const stderr =
      "To https://github.com/acme/app.git\n ! [remote rejected] HEAD -> agent/x (refusing to allow a GitHub App to create or update workflow `.github/workflows/ci.yml` without `workflows` permission)\n";
    const result = classifyPushRejection(stderr, "agent/x", [
      ".github/workflows/ci.yml",
      ".github/workflows/release.yml",
      "src/a.ts",
    ]);
    expect(result.reason).toBe("workflow-permission");
    expect(result.files).toEqual([".github/workflows/ci.yml", ".github/workflows/release.yml"]);
    expect(result.explanation).toContain(".github/workflows/ci.yml, .github/workflows/release.yml");
    expect(result.explanation).toContain("`workflows` permission");
  });

  it("recognises a protected branch", () => {
    const stderr =
      "remote: error: GH006: Protected branch update failed for refs/heads/agent/x.\n ! [remote rejected] HEAD -> agent/x (protected branch hook declined)";
    expect(classifyPushRejection(stderr, "agent/x", []).reason).toBe("protected-branch");
  });

  it("recognises a non-fast-forward push", () => {
    const stderr = " ! [rejected]        HEAD -> agent/x (fetch first)\nerror: failed to push some refs";
    const result = classifyPushRejection(stderr, "agent/x", []);
    expect(result.reason).toBe("non-fast-forward");
    expect(result.explanation).toContain("someone else pushed");
  });

  it.each([
    "remote: Invalid username or password.\nfatal: Authentication failed for 'https://github.com/a/b/'",
    "fatal: could not read Username for 'https://github.com': terminal prompts disabled",
    "remote: Permission to acme/app.git denied to loopwright[bot].\nfatal: unable to access 'https://github.com/acme/app.git/': The requested URL returned error: 403",
  ])("recognises an authentication failure: %s", (stderr) => {
    expect(isPushRejection(stderr)).toBe(true);
    expect(classifyPushRejection(stderr, "agent/x", []).reason).toBe("authentication");
  });

  it("quotes the remote's words for any other refusal", () => {
    const stderr =
      "remote: commits must be signed\n ! [remote rejected] HEAD -> agent/x (pre-receive hook declined)";
    const result = classifyPushRejection(stderr, "agent/x", []);
    expect(result.reason).toBe("rejected");
    expect(result.explanation).toContain("remote: commits must be signed");
  });

  it("does not call a network failure a rejection", () => {
    expect(
      isPushRejection(
        "fatal: unable to access 'https://github.com/a/b/': Could not resolve host: github.com",
      ),
    ).toBe(false);
  });
});
