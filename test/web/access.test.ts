import { describe, expect, it } from "vitest";
import { createAccessControl } from "../../src/web/access.ts";
import { GitHubAuthError, type GitHubUserApi } from "../../src/web/github-user.ts";

/** A GitHub whose answers come from a table, counting calls. */
function fakeApi(table: Record<string, Record<string, "read" | "write">>) {
  const calls = { readable: 0, permissions: 0 };
  const api: GitHubUserApi = {
    authorizeUrl: () => "",
    exchangeCode: async () => "",
    user: async () => ({ login: "x" }),
    async readableRepositories(token) {
      calls.readable += 1;
      if (!(token in table)) throw new GitHubAuthError("revoked");
      return Object.keys(table[token] ?? {});
    },
    async permissions(token, repository) {
      calls.permissions += 1;
      const level = table[token]?.[repository];
      return { read: level !== undefined, write: level === "write" };
    },
  };
  return { api, calls };
}

describe("who sees and stops what", () => {
  const table = {
    reader: { "octo/App": "read" as const },
    writer: { "octo/app": "write" as const },
    stranger: {},
  };

  it("filters to the App's repositories the user can read, case-insensitively, and stop needs write", async () => {
    const { api } = fakeApi(table);
    const control = createAccessControl(api);
    const reader = control.for({ login: "r", admin: false, token: "reader" });
    expect(await reader.visibleRepositories()).toEqual(["octo/App"]);
    expect(await reader.canRead("octo/app")).toBe(true);
    expect(await reader.canRead("octo/other")).toBe(false);
    expect(await reader.canStop("octo/app")).toBe(false);

    const writer = control.for({ login: "w", admin: false, token: "writer" });
    expect(await writer.canStop("octo/app")).toBe(true);
    expect(await writer.canStop("octo/other")).toBe(false);

    const stranger = control.for({ login: "s", admin: false, token: "stranger" });
    expect(await stranger.visibleRepositories()).toEqual([]);
    expect(await stranger.canRead("octo/app")).toBe(false);

    const tokenless = control.for({ login: "t", admin: false, token: undefined });
    expect(await tokenless.visibleRepositories()).toEqual([]);
  });

  it("lets administrators see and stop everything without asking GitHub", async () => {
    const { api, calls } = fakeApi(table);
    const admin = createAccessControl(api).for({ login: "a", admin: true, token: "stranger" });
    expect(await admin.visibleRepositories()).toBeUndefined();
    expect(await admin.canRead("any/repo")).toBe(true);
    expect(await admin.canStop("any/repo")).toBe(true);
    expect(calls).toEqual({ readable: 0, permissions: 0 });
  });

  it("asks GitHub once per token while the answer is fresh, again once it is stale, never caching a failure", async () => {
    let now = 0;
    const { api, calls } = fakeApi(table);
    const control = createAccessControl(api, { ttlMs: 1_000, now: () => now });
    const writer = control.for({ login: "w", admin: false, token: "writer" });
    await writer.canStop("octo/app");
    await writer.canStop("octo/app");
    await control.for({ login: "w", admin: false, token: "writer" }).canRead("octo/app");
    expect(calls).toEqual({ readable: 1, permissions: 1 });
    now = 1_001;
    await writer.canStop("octo/app");
    expect(calls).toEqual({ readable: 2, permissions: 2 });

    const revoked = control.for({ login: "g", admin: false, token: "gone" });
    await expect(revoked.canRead("octo/app")).rejects.toThrow(GitHubAuthError);
    await expect(revoked.canRead("octo/app")).rejects.toThrow(GitHubAuthError);
    expect(calls.readable).toBe(4);
  });
});
