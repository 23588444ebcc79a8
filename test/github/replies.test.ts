import { describe, expect, it } from "vitest";
import { DEFAULT_REPO_CONFIG, parseRepoConfig } from "../../src/config/repo-config.ts";
import { findMarker } from "../../src/github/markdown.ts";
import {
  renderHelpReply,
  renderInvalidConfigComment,
  renderRefusalReply,
  renderUnauthorizedReply,
} from "../../src/github/replies.ts";

describe("replies", () => {
  it("explains the commands with the configured word and label", () => {
    const help = renderHelpReply(DEFAULT_REPO_CONFIG);
    expect(help).toContain("`/agent fix [instructions]`");
    expect(help).toContain("`/agent stop`");
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
  });

  it("names each bad config key in a code block", () => {
    const { problems } = parseRepoConfig({ budget: { max_steps: "lots" }, fix: { command: "```" } });
    const comment = renderInvalidConfigComment(problems);
    expect(findMarker(comment, "config")).toBe("invalid");
    expect(comment).toContain('budget.max_steps: expected a whole number from 1 to 1000, got "lots"');
    expect(comment).toMatch(/\n````\n/);
  });
});
