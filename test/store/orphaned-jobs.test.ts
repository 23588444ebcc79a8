import { afterEach, describe, expect, it } from "vitest";
import { INTAKE_QUEUE } from "../../src/store/inbox.ts";
import { releaseOrphanedJobs } from "../../src/store/orphaned-jobs.ts";
import { startQueue, type TaskQueue } from "../../src/store/queue.ts";
import { databaseKinds, openTestDatabase, type TestDatabase } from "../helpers/test-database.ts";

describe.each(databaseKinds)("releaseOrphanedJobs (%s)", (kind) => {
  let db: TestDatabase | undefined;
  let queue: TaskQueue | undefined;
  afterEach(async () => {
    await queue?.stop();
    await db?.dispose();
  });

  it(
    kind === "pglite"
      ? "hands a job left active by a dead process back to the queue at once"
      : "leaves active jobs to the heartbeat: other processes may be working on them",
    async () => {
      db = await openTestDatabase(kind);
      queue = await startQueue(db);
      const id = await queue.boss.send(INTAKE_QUEUE, { deliveryId: "d-1" });
      const [taken] = await queue.boss.fetch(INTAKE_QUEUE);
      expect(taken?.id).toBe(id);
      const released = await releaseOrphanedJobs(db, queue.boss);
      const job = await queue.boss.getJobById(INTAKE_QUEUE, id as string);
      if (kind === "pglite") {
        expect(released).toBe(1);
        expect(job?.state).toBe("retry");
        expect(job?.output).toMatchObject({ reason: expect.stringMatching(/stopped/) });
      } else {
        expect(released).toBe(0);
        expect(job?.state).toBe("active");
      }
    },
  );
});
