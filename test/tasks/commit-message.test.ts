import { describe, expect, it } from "vitest";
import { buildCommitMessage, commitSubject } from "../../src/tasks/commit-message.ts";

const message = (summary: string, subject: string | null = "Fix the date parser") =>
  buildCommitMessage({
    subject: subject ?? undefined,
    fallbackSubject: "Make the change asked for in Loopwright task 7",
    summary,
    summaryElsewhere: "The whole summary is in the task's step log: loopwright task 7.",
    notes: [],
    trailers: ["Loopwright task 7"],
  });

describe("commit messages", () => {
  it("takes the first sentence as the subject, or nothing when it would not fit", () => {
    expect(commitSubject("fix the flaky date test. It fails on Mondays.")).toBe("Fix the flaky date test");
    expect(commitSubject("Bump v1.2.3 to v1.2.4 in package.json")).toBe(
      "Bump v1.2.3 to v1.2.4 in package.json",
    );
    expect(commitSubject("  Upgrade\n  the parser!\n\nDetails follow.")).toBe("Upgrade the parser!");
    const long =
      "Rewrite the configuration loader so that it reads every file format we support and validates it";
    expect(commitSubject(long)).toBeUndefined();
    expect(commitSubject("")).toBeUndefined();
  });

  it("falls back to a whole-sentence subject, and wraps the body between words", () => {
    const summary =
      "The parser assumed every timestamp was UTC, so dates near midnight landed on the wrong day for anyone east of Greenwich.";
    const text = message(summary, null);
    const [subject, blank, ...body] = text.split("\n");
    expect(subject).toBe("Make the change asked for in Loopwright task 7");
    expect(blank).toBe("");
    for (const line of body) expect(line.length).toBeLessThanOrEqual(72);
    expect(body.join(" ").replace(/\s+/g, " ").trim()).toBe(`${summary} Loopwright task 7`);
    expect(text.endsWith("\n\nLoopwright task 7\n")).toBe(true);
  });

  it("keeps lists and code blocks as written and never cuts a word or a sentence", () => {
    const summary = [
      "Changed:",
      "",
      "- src/date.ts: read the offset",
      "- test/date.test.ts: a case east of Greenwich",
      "",
      "```",
      "npm test -- --run test/date.test.ts   # passes",
      "```",
    ].join("\n");
    const text = message(summary);
    expect(text).toContain("- src/date.ts: read the offset\n- test/date.test.ts: a case east of Greenwich");
    expect(text).toContain("```\nnpm test -- --run test/date.test.ts   # passes\n```");
    expect(
      message("https://example.com/a/very/long/address/that/is/longer/than/seventy/two/characters/for/sure"),
    ).toContain(
      "\nhttps://example.com/a/very/long/address/that/is/longer/than/seventy/two/characters/for/sure\n",
    );
  });

  it("keeps whole paragraphs of a very long summary and says where the rest is", () => {
    const paragraph = `${"This sentence explains one more detail of the change. ".repeat(12).trim()}`;
    const text = message(Array.from({ length: 12 }, () => paragraph).join("\n\n"));
    expect(text.length).toBeLessThan(5000);
    expect(text).toContain("\n\nThe whole summary is in the task's step log: loopwright task 7.\n\n");
    for (const kept of text.split("\n\n").slice(1, -2)) {
      expect(kept.replace(/\n/g, " ")).toBe(paragraph);
    }
  });
});
