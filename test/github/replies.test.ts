import { describe, expect, it } from "vitest";
import { DEFAULT_REPO_CONFIG, parseRepoConfig } from "../../src/config/repo-config.ts";
import { findMarker } from "../../src/github/markdown.ts";
import {
  renderBusyReply,
  renderHelpReply,
  renderInvalidConfigComment,
  renderLimitReply,
  renderNearMissReply,
  renderRefusalReply,
  renderUnauthorizedReply,
} from "../../src/github/replies.ts";

describe("replies", () => {
  it("explains the commands with the configured word and label", () => {
    const help = renderHelpReply(DEFAULT_REPO_CONFIG);
    expect(help).toContain("`/agent fix [instructions]`");
    expect(help).toContain("`/agent stop`");
    expect(help).toContain("`/agent review [instructions]`");
    expect(help).toContain("`/agent dismiss F3`");
    expect(help).toContain("`agent:fix`");
    const custom = renderHelpReply(parseRepoConfig({ fix: { command: "/bot", label: "robot" } }).config);
    expect(custom).toContain("`/bot help`");
    expect(custom).toContain("`robot`");
    expect(custom).not.toContain("/agent");
  });

  it("tells an unauthorized user who can run it, once per user", () => {
    const reply = renderUnauthorizedReply("mallory", "/agent");
    expect(findMarker(reply, "unauthorized")).toBe("mallory");
    expect(reply).toContain("@&#8203;mallory, only users with write, maintain or admin access");
  });

  it("escapes a refusal reason", () => {
    expect(renderRefusalReply("this pull request comes from a fork; see @ann")).toBe(
      "**Loopwright** cannot do that here: this pull request comes from a fork; see @&#8203;ann.",
    );
    const once = renderRefusalReply("this repository used its daily budget", "comment:42");
    expect(findMarker(once, "refused")).toBe("comment:42");
    expect(once).toContain("cannot do that here: this repository used its daily budget.");
  });

  it("names each bad config key in a code block", () => {
    const { problems } = parseRepoConfig({ budget: { max_steps: "lots" }, fix: { command: "```" } });
    const comment = renderInvalidConfigComment(problems);
    expect(findMarker(comment, "config")).toBe("invalid");
    expect(comment).toContain('budget.max_steps: expected a whole number from 1 to 1000, got "lots"');
    expect(comment).toMatch(/\n````\n/);
  });

  it("asks what a slip of a command word meant, and how to give instructions starting with it", () => {
    const reply = renderNearMissReply({
      command: "/agent",
      typed: "fixing",
      meant: "fix",
      eventKey: "comment:42",
    });
    expect(findMarker(reply, "refused")).toBe("comment:42");
    expect(reply).toContain("did you mean `/agent fix`?");
    expect(reply).toContain("`fixing` is not a command word");
    expect(reply).toContain("`/agent fix fixing …`");
    const long = renderNearMissReply({
      command: "/bot",
      typed: `stop${"p".repeat(100)}`,
      meant: "stop",
      eventKey: "comment:1",
    });
    expect(long).toContain("did you mean `/bot stop`?");
    expect(long).not.toContain("p".repeat(60));
  });

  it("names the task already working on the issue or pull request and how to stop it", () => {
    const reply = renderBusyReply({
      command: "/agent",
      activeTaskId: 12,
      onPullRequest: false,
      eventKey: "comment:7",
    });
    expect(findMarker(reply, "refused")).toBe("comment:7");
    expect(reply).toContain("already working on this issue (task 12)");
    expect(reply).toContain("Comment `/agent stop` to stop task 12");
    expect(
      renderBusyReply({ command: "/agent", activeTaskId: 3, onPullRequest: true, eventKey: "review:5" }),
    ).toContain("this pull request (task 3)");
  });

  it("names the limit reached and when it frees up", () => {
    const base = {
      command: "/agent",
      requester: "ann",
      eventKey: "label:o/r#1:agent:fix:2026-05-01T14:00:00Z",
    };
    const active = renderLimitReply({
      ...base,
      refusal: { limit: "per_requester_active", max: 3, activeTaskIds: [4, 5, 6] },
    });
    expect(findMarker(active, "refused")).toBe("label:o/r_1:agent:fix:2026-05-01T14:00:00Z");
    expect(active).toContain("@&#8203;ann already has 3 unfinished tasks in this repository (tasks 4, 5, 6)");
    expect(active).toContain("`limits.per_requester_active`");
    expect(active).toContain("`/agent stop` on its issue or pull request stops it");
    const hourly = renderLimitReply({
      ...base,
      refusal: { limit: "per_requester_per_hour", max: 10, freesAt: new Date("2026-05-01T15:00:00Z") },
    });
    expect(hourly).toContain("@&#8203;ann started 10 tasks in this repository within the last hour");
    expect(hourly).toContain("`limits.per_requester_per_hour`");
    expect(hourly).toContain("Ask again after 2026-05-01 15:00 UTC.");
    const repository = renderLimitReply({
      ...base,
      refusal: { limit: "per_repository_per_hour", max: 30, freesAt: new Date("2026-05-01T15:00:00.001Z") },
    });
    expect(repository).toContain("this repository started 30 tasks within the last hour");
    expect(repository).toContain("`limits.per_repository_per_hour`");
    expect(repository).toContain("Ask again after 2026-05-01 15:01 UTC.");
  });
});
