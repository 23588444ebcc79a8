import { describe, expect, it } from "vitest";
import { DEFAULT_REPO_CONFIG } from "../../src/config/repo-config.ts";
import { eventKeyOf } from "../../src/github/event-key.ts";
import { classifyEvent } from "../../src/github/triggers.ts";
import { webhookExample } from "../helpers/webhook-examples.ts";

const repository = "octo/app";

describe("eventKeyOf", () => {
  it("names a comment or a review by its GitHub id", () => {
    expect(eventKeyOf({ repository, number: 7, source: { type: "comment", commentId: 42 } })).toBe(
      "comment:42",
    );
    expect(eventKeyOf({ repository, number: 7, source: { type: "review", reviewId: 9 } })).toBe("review:9");
  });

  it("names a labeling by the issue, the label and the issue's updated_at", () => {
    const labeling = { type: "label", label: "agent:fix", issueUpdatedAt: "2026-05-01T10:00:00Z" } as const;
    expect(eventKeyOf({ repository, number: 7, source: labeling })).toBe(
      "label:octo/app#7:agent:fix:2026-05-01T10:00:00Z",
    );
    // Labeling again later updates the issue: another request.
    const again = { ...labeling, issueUpdatedAt: "2026-05-01T11:30:00Z" };
    expect(eventKeyOf({ repository, number: 7, source: again })).not.toBe(
      eventKeyOf({ repository, number: 7, source: labeling }),
    );
  });

  it("gives a redelivered labeling (the same body under a new delivery id) the same key", () => {
    const payload = webhookExample("issues", "labeled");
    payload.label.name = "agent:fix";
    const keys = ["delivery-a", "delivery-b"].map((id) => {
      const request = classifyEvent({ id, name: "issues", payload }, DEFAULT_REPO_CONFIG);
      if (request.kind !== "fix") throw new Error(`expected a fix request, got ${request.kind}`);
      return eventKeyOf({
        repository: request.repo.fullName,
        number: request.number,
        source: request.source,
      });
    });
    expect(keys[0]).toBe("label:Codertocat/Hello-World#1:agent:fix:2019-05-15T15:20:18Z");
    expect(keys[1]).toBe(keys[0]);
  });

  it("refuses a labeling payload without the issue's updated_at as malformed", () => {
    const payload = webhookExample("issues", "labeled");
    payload.label.name = "agent:fix";
    delete payload.issue.updated_at;
    expect(classifyEvent({ name: "issues", payload }, DEFAULT_REPO_CONFIG)).toMatchObject({
      kind: "ignored",
      reason: "the issues payload is malformed (issue.updated_at)",
    });
  });
});
