import { generateKeyPairSync, randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import nock from "nock";
import { afterAll, describe, expect, it } from "vitest";
import { RedactingOctokit } from "../src/github/redacting-octokit.ts";
import { createLogger } from "../src/logger.ts";
import { redactDeep, redactSecrets, rememberSecret } from "../src/redact.ts";
import { openDatabase } from "../src/store/database.ts";
import { migrate } from "../src/store/migrate.ts";
import { createStepRecorder, listSteps } from "../src/store/steps.ts";
import { createTask } from "../src/store/tasks.ts";
import { createTranscriptRecorder, readTranscript } from "../src/store/transcripts.ts";

// What a steered model could make a command print, and this process's own secrets.
const TOKENS = [
  `ghs_${randomBytes(18).toString("hex")}`,
  `github_pat_11${randomBytes(20).toString("hex")}`,
  `sk-proj-${randomBytes(16).toString("hex")}`,
];
const PRIVATE_KEY = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({
  type: "pkcs1",
  format: "pem",
}) as string;
const WEBHOOK_SECRET = `whsec-${randomBytes(12).toString("hex")}`;
rememberSecret(PRIVATE_KEY);
rememberSecret(WEBHOOK_SECRET);
const LEAKY = `tool output: ${TOKENS.join(" ")} secret=${WEBHOOK_SECRET}\n${PRIVATE_KEY}`;

function expectClean(text: string): void {
  for (const secret of [
    ...TOKENS,
    WEBHOOK_SECRET,
    ...PRIVATE_KEY.split("\n").filter((line) => line.length > 40),
  ]) {
    expect(text).not.toContain(secret);
  }
  expect(text).toContain("[REDACTED]");
}

afterAll(() => nock.cleanAll());

describe("redaction at every sink", () => {
  it("hides remembered secrets as they are, escaped in JSON, and line by line for a PEM key", () => {
    expectClean(redactSecrets(LEAKY));
    expectClean(redactSecrets(JSON.stringify({ output: LEAKY })));
    const keyLine = PRIVATE_KEY.split("\n")[3] ?? "";
    expect(redactSecrets(`half a key: ${keyLine}`)).toBe("half a key: [REDACTED]");
    expect(redactDeep({ steps: [{ output: LEAKY, exitCode: 0 }] }).steps[0]?.exitCode).toBe(0);
    // Short values are not remembered: hiding them would garble ordinary text.
    rememberSecret("abc");
    expect(redactSecrets("abc def")).toBe("abc def");
  });

  it("GitHub: every request body leaves redacted (comments, PR bodies, titles, review comments)", async () => {
    nock.disableNetConnect();
    const bodies: unknown[] = [];
    nock("https://api.github.com")
      .post("/repos/o/r/issues/1/comments", (body) => bodies.push(body) > 0)
      .reply(201, { id: 1 })
      .post("/repos/o/r/pulls", (body) => bodies.push(body) > 0)
      .reply(201, { number: 2 });
    const octokit = new RedactingOctokit({ auth: "test-token" });
    await octokit.rest.issues.createComment({ owner: "o", repo: "r", issue_number: 1, body: LEAKY });
    await octokit.rest.pulls.create({
      owner: "o",
      repo: "r",
      title: `Fix ${TOKENS[0]}`,
      head: "agent/x",
      base: "main",
      body: LEAKY,
    });
    expect(bodies).toHaveLength(2);
    expectClean(JSON.stringify(bodies));
  });

  it("the database: step payloads and transcript lines are stored redacted", async () => {
    const db = await openDatabase({ dataDir: "memory://" });
    try {
      await migrate(db);
      const { task } = await createTask(db, {
        kind: "fix",
        repository: "o/r",
        number: 1,
        trigger: "comment",
      });
      await createStepRecorder(db, task.id, 1).record({ kind: "tool_call", payload: { output: LEAKY } });
      await createTranscriptRecorder(db, task.id, 1).append(JSON.stringify({ output: [{ text: LEAKY }] }));
      expectClean(JSON.stringify(await listSteps(db, task.id)));
      const transcript = await readTranscript(db, task.id);
      expectClean(transcript);
      expect(() => JSON.parse(transcript)).not.toThrow();
    } finally {
      await db.close();
    }
  });

  it("logs: every line is redacted before it is written", () => {
    let written = "";
    const sink = new Writable({
      write(chunk, _encoding, done) {
        written += String(chunk);
        done();
      },
    });
    const log = createLogger({ logLevel: "info" }, sink);
    log.info({ output: LEAKY }, `pushing with ${TOKENS[0]}`);
    expectClean(written);
  });
});
