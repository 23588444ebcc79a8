import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, type LogFormat, uniqueKeys } from "../src/logger.ts";
import { rememberSecret } from "../src/redact.ts";

function capture(format: LogFormat) {
  let written = "";
  const sink = new Writable({
    write(chunk, _encoding, done) {
      written += String(chunk);
      done();
    },
  });
  return { log: createLogger({ logLevel: "info" }, sink, format), text: () => written };
}

describe("logger", () => {
  it("writes JSON lines in which each key appears once, the latest binding winning", () => {
    const { log, text } = capture("json");
    log.child({ name: "probot" }).child({ taskId: 1 }).child({ taskId: 2 }).info({ taskId: 3 }, "claimed");
    const line = text().trim();
    expect(JSON.stringify(JSON.parse(line))).toBe(line);
    expect(JSON.parse(line)).toMatchObject({ level: 30, name: "probot", taskId: 3, msg: "claimed" });
  });

  it("keeps its own level and time when a logged object has fields of those names", () => {
    const { log, text } = capture("json");
    log.warn({ level: "P1", time: "yesterday" }, "finding");
    const parsed = JSON.parse(text());
    expect(parsed).toMatchObject({ level: 40, levelField: "P1", timeField: "yesterday", msg: "finding" });
    expect(typeof parsed.time).toBe("number");
  });

  it("writes readable lines, not JSON, in the pretty format — redacted all the same", () => {
    rememberSecret("pretty-secret-value-123");
    const { log, text } = capture("pretty");
    log.info({ taskId: 7 }, "pushing with pretty-secret-value-123");
    expect(text()).toMatch(/INFO \(loopwright\): pushing with \[REDACTED\]\n\s+taskId: 7\n/);
    expect(() => JSON.parse(text())).toThrow();
  });

  it("leaves a line it cannot parse as it is", () => {
    expect(uniqueKeys("not json\n")).toBe("not json\n");
    expect(uniqueKeys('{"a":1,"a":2}\n')).toBe('{"a":2}\n');
  });
});
