import type { Database, Queryable } from "./database.ts";
import { recordSideEffect, requestCancel } from "./tasks.ts";

export type FindingStatus = "open" | "fixed" | "dismissed";
export type FindingSide = "RIGHT" | "LEFT";
export type FindingPriority = "P0" | "P1" | "P2" | "P3";

/** A finding remembered for a pull request: what it said, where it was posted, and what became of it. */
export type StoredFinding = {
  id: number;
  /** `F<ordinal>`: how people name it on the pull request. */
  ordinal: number;
  fingerprint: string;
  title: string;
  body: string;
  priority: FindingPriority;
  confidence: number;
  path: string;
  startLine: number;
  endLine: number;
  side: FindingSide;
  /** The anchored lines' code when it was first found (how a later push shows it gone). */
  code: string[];
  status: FindingStatus;
  firstSha: string;
  lastSeenSha: string;
  fixedSha: string | null;
  /** Loopwright's inline review comment, when it was posted inline (its thread is found by it). */
  commentId: number | null;
  reproduced: boolean | null;
  dismissedBy: string | null;
};

/** A pull request's review state. */
export type ReviewPullState = {
  paused: boolean;
  lastReviewedSha: string | null;
  summaryCommentId: number | null;
};

type FindingRow = {
  id: number;
  ordinal: number;
  fingerprint: string;
  title: string;
  body: string;
  priority: FindingPriority;
  confidence: number;
  path: string;
  start_line: number;
  end_line: number;
  side: FindingSide;
  code: string[];
  status: FindingStatus;
  first_sha: string;
  last_seen_sha: string;
  fixed_sha: string | null;
  comment_id: string | number | null;
  reproduced: boolean | null;
  dismissed_by: string | null;
};

const toFinding = (row: FindingRow): StoredFinding => ({
  id: row.id,
  ordinal: row.ordinal,
  fingerprint: row.fingerprint,
  title: row.title,
  body: row.body,
  priority: row.priority,
  confidence: Number(row.confidence),
  path: row.path,
  startLine: row.start_line,
  endLine: row.end_line,
  side: row.side,
  code: row.code,
  status: row.status,
  firstSha: row.first_sha,
  lastSeenSha: row.last_seen_sha,
  fixedSha: row.fixed_sha,
  commentId: row.comment_id === null ? null : Number(row.comment_id),
  reproduced: row.reproduced,
  dismissedBy: row.dismissed_by,
});

const F = "loopwright.review_findings";
const P = "loopwright.review_pulls";

/**
 * A pull request's review state; a pull request never reviewed is not paused and has no history.
 *
 * @example
 * const { paused, lastReviewedSha } = await reviewPullState(db, "octo/app", 12);
 */
export async function reviewPullState(
  db: Queryable,
  repository: string,
  number: number,
): Promise<ReviewPullState> {
  const { rows } = await db.query<{
    paused: boolean;
    last_reviewed_sha: string | null;
    summary_comment_id: string | number | null;
  }>(`select paused, last_reviewed_sha, summary_comment_id from ${P} where repository = $1 and number = $2`, [
    repository,
    number,
  ]);
  const row = rows[0];
  return {
    paused: row?.paused ?? false,
    lastReviewedSha: row?.last_reviewed_sha ?? null,
    summaryCommentId: row?.summary_comment_id == null ? null : Number(row.summary_comment_id),
  };
}

/**
 * Pauses or resumes automatic reviews of one pull request (`/agent review pause|resume`).
 *
 * @example
 * await setReviewPaused(db, "octo/app", 12, true);
 */
export async function setReviewPaused(
  db: Queryable,
  repository: string,
  number: number,
  paused: boolean,
): Promise<void> {
  await db.query(
    `insert into ${P} (repository, number, paused) values ($1, $2, $3)
     on conflict (repository, number) do update set paused = excluded.paused, updated_at = now()`,
    [repository, number, paused],
  );
}

/**
 * Every finding remembered for a pull request, in the order they were first found.
 *
 * @example
 * const findings = await listFindings(db, "octo/app", 12);
 */
export async function listFindings(
  db: Queryable,
  repository: string,
  number: number,
): Promise<StoredFinding[]> {
  const { rows } = await db.query<FindingRow>(
    `select * from ${F} where repository = $1 and number = $2 order by ordinal`,
    [repository, number],
  );
  return rows.map(toFinding);
}

/** Which finding a dismissal names: `F<n>`, or the review comment a thread reply answers. */
export type FindingRef = { ordinal: number } | { commentId: number };

const refColumn = (ref: FindingRef): ["ordinal" | "comment_id", number] =>
  "ordinal" in ref ? ["ordinal", ref.ordinal] : ["comment_id", ref.commentId];

/**
 * Marks a finding dismissed (a human resolved its thread or replied `/agent dismiss`): it is never
 * raised again on the pull request. Resolves to the finding, or undefined when none matches.
 *
 * @example
 * await dismissFinding(db, "octo/app", 12, { ordinal: 3 }, "ann");
 */
export async function dismissFinding(
  db: Queryable,
  repository: string,
  number: number,
  ref: FindingRef,
  by: string,
): Promise<StoredFinding | undefined> {
  const [column, value] = refColumn(ref);
  const { rows } = await db.query<FindingRow>(
    `update ${F} set status = 'dismissed', dismissed_by = $4, updated_at = now()
     where repository = $1 and number = $2 and ${column} = $3 returning *`,
    [repository, number, value, by],
  );
  return rows[0] ? toFinding(rows[0]) : undefined;
}

/**
 * The finding a command names: `F<n>`, or the review comment its thread starts with.
 *
 * @example
 * await findFinding(db, "octo/app", 12, { ordinal: 3 });
 */
export async function findFinding(
  db: Queryable,
  repository: string,
  number: number,
  ref: FindingRef,
): Promise<StoredFinding | undefined> {
  const [column, value] = refColumn(ref);
  const { rows } = await db.query<FindingRow>(
    `select * from ${F} where repository = $1 and number = $2 and ${column} = $3`,
    [repository, number, value],
  );
  return rows[0] ? toFinding(rows[0]) : undefined;
}

/** A finding this review found for the first time (its ordinal follows the pull request's earlier ones). */
export type NewFinding = Omit<StoredFinding, "id" | "status" | "lastSeenSha" | "fixedSha" | "dismissedBy">;

/** What one review changes in a pull request's memory. */
export type ReviewRecord = {
  repository: string;
  number: number;
  taskId: number;
  headSha: string;
  added: NewFinding[];
  /** Earlier findings reported again (their last_seen moves to this head; a fixed one opens again). */
  seen: number[];
  fixed: number[];
  dismissed: { id: number; by: string }[];
  summaryCommentId: number | null;
};

/**
 * Writes what one review found, in one transaction: new findings, those seen again, fixed and
 * dismissed ones, and the reviewed head. Resolves to the new findings as stored.
 *
 * @example
 * const added = await recordReview(db, { repository, number, taskId, headSha, added, seen, fixed, … });
 */
export async function recordReview(db: Database, record: ReviewRecord): Promise<StoredFinding[]> {
  const { repository, number, headSha } = record;
  return db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock(hashtext('loopwright:review:' || $1 || '#' || $2))", [
      repository,
      number,
    ]);
    const stored: StoredFinding[] = [];
    for (const finding of record.added) {
      const { rows } = await tx.query<FindingRow>(
        `insert into ${F} (repository, number, ordinal, fingerprint, title, body, priority, confidence, path,
           start_line, end_line, side, code, status, first_sha, last_seen_sha, comment_id, reproduced, task_id)
         values ($1, $2,
           -- A review that raced another past the supersede check takes the next free number.
           (select case when exists (select 1 from ${F} where repository = $1 and number = $2 and ordinal = $3)
              then (select max(ordinal) + 1 from ${F} where repository = $1 and number = $2) else $3 end),
           $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, $17, $18)
         on conflict (repository, number, fingerprint) do update set last_seen_sha = excluded.last_seen_sha,
           updated_at = now()
         returning *`,
        [
          repository,
          number,
          finding.ordinal,
          finding.fingerprint,
          finding.title,
          finding.body,
          finding.priority,
          finding.confidence,
          finding.path,
          finding.startLine,
          finding.endLine,
          finding.side,
          finding.code,
          "open",
          headSha,
          finding.commentId,
          finding.reproduced,
          record.taskId,
        ],
      );
      if (rows[0]) stored.push(toFinding(rows[0]));
    }
    await tx.query(
      `update ${F} set last_seen_sha = $2, fixed_sha = null,
         status = case when status = 'fixed' then 'open' else status end, updated_at = now()
       where id = any($1::int[])`,
      [record.seen, headSha],
    );
    await tx.query(
      `update ${F} set status = 'fixed', fixed_sha = $2, updated_at = now()
       where id = any($1::int[]) and status = 'open'`,
      [record.fixed, headSha],
    );
    for (const { id, by } of record.dismissed) {
      await tx.query(
        `update ${F} set status = 'dismissed', dismissed_by = $2, updated_at = now() where id = $1`,
        [id, by],
      );
    }
    await tx.query(
      `insert into ${P} (repository, number, last_reviewed_sha, summary_comment_id) values ($1, $2, $3, $4)
       on conflict (repository, number) do update set last_reviewed_sha = excluded.last_reviewed_sha,
         summary_comment_id = coalesce(excluded.summary_comment_id, ${P}.summary_comment_id), updated_at = now()`,
      [repository, number, headSha, record.summaryCommentId],
    );
    return stored;
  });
}

/**
 * Asks the unfinished review tasks of a pull request other than `newTaskId` to stop, noting on each
 * that it was superseded (a newer push or request): a queued one is cancelled at once, a running one
 * within about a second, before it posts anything.
 *
 * @example
 * const superseded = await supersedeReviews(db, "octo/app", 12, 57); // [55]
 */
export async function supersedeReviews(
  db: Queryable,
  repository: string,
  number: number,
  newTaskId: number,
): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(
    `select id from loopwright.tasks where repository = $1 and number = $2 and kind = 'review'
       and status in ('queued', 'running') and id <> $3`,
    [repository, number, newTaskId],
  );
  for (const row of rows) {
    await recordSideEffect(db, row.id, "supersededBy", newTaskId);
    await requestCancel(db, row.id);
    // A queued task is cancelled at once; its error says why.
    await db.query(
      `update loopwright.tasks set error = $2 where id = $1 and status = 'cancelled' and error is null`,
      [row.id, `superseded by task ${newTaskId}`],
    );
  }
  return rows.map((row) => row.id);
}

/**
 * The task that superseded a review task, if one did.
 *
 * @example
 * await supersedingTask(db, 55); // 57
 */
export async function supersedingTask(db: Queryable, taskId: number): Promise<number | undefined> {
  const { rows } = await db.query<{ by: string | null }>(
    `select side_effects->>'supersededBy' as by from loopwright.tasks where id = $1`,
    [taskId],
  );
  const by = rows[0]?.by;
  return by == null ? undefined : Number(by);
}
