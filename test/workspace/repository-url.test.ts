import { describe, expect, it } from "vitest";
import { parseRepositoryUrl } from "../../src/workspace/repository-url.ts";

describe("parseRepositoryUrl", () => {
  it("derives host/owner/repo from GitHub URLs, with or without .git", () => {
    expect(parseRepositoryUrl("https://github.com/acme/app.git")).toMatchObject({
      cacheKey: "github.com/acme/app.git",
      display: "github.com/acme/app",
    });
    expect(parseRepositoryUrl("https://ghe.example:8443/acme/app").cacheKey).toBe(
      "ghe.example_8443/acme/app.git",
    );
  });

  it("keys local repositories by path", () => {
    const one = parseRepositoryUrl("/srv/a/repo.git");
    const two = parseRepositoryUrl("file:///srv/b/repo.git");
    expect(one.cacheKey).toMatch(/^local\/repo-[0-9a-f]{12}\.git$/);
    expect(two.cacheKey).not.toBe(one.cacheKey);
  });

  it.each([
    ["", /empty/],
    ["https://x-access-token:ghs_abc@github.com/a/b", /must not contain credentials/],
    ["ssh://git@github.com/a/b", /credentials|https, http or file/],
    ["https://github.com/onlyowner", /not of the form/],
    ["https://github.com/a/../b", /not of the form/],
    ["relative/path", /neither a URL nor an absolute path/],
  ])("refuses %j", (url, message) => {
    expect(() => parseRepositoryUrl(url)).toThrow(message);
  });
});
