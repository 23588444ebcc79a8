import type { Logger } from "../logger.ts";
import type { Queryable } from "../store/database.ts";
import { listSteps, type Step } from "../store/steps.ts";
import { FINISHED_STATUSES, getTask, type Task } from "../store/tasks.ts";

/** A step-log position: steps after it are new. */
export type StepCursor = { attempt: number; seq: number };

/** What a follower of a task receives, in order: steps as they are written, the task when it changes, the end. */
export type FeedMessage = { type: "steps"; steps: Step[] } | { type: "task"; task: Task } | { type: "end" };

export type FeedListener = (message: FeedMessage) => void;

export type StepFeed = {
  /**
   * Follows a task from `after`: first the steps already past it, then new ones as they appear, the
   * task whenever its status or tokens change, and `end` once it has finished. Returns the unsubscribe.
   */
  subscribe(taskId: number, after: StepCursor, listener: FeedListener): () => void;
  /** Tasks being polled now (one poller per task, however many follow it). */
  readonly pollers: number;
  close(): void;
};

const isAfter = (step: Step, cursor: StepCursor): boolean =>
  step.attempt > cursor.attempt || (step.attempt === cursor.attempt && step.seq > cursor.seq);

type Follower = { cursor: StepCursor; listener: FeedListener; ready: boolean; held: FeedMessage[] };

type Poller = {
  followers: Set<Follower>;
  cursor: StepCursor | undefined;
  lastTask: string | undefined;
  timer: NodeJS.Timeout | undefined;
  stopped: boolean;
};

/**
 * Live step logs for the dashboard: one poller per followed task, shared by everyone watching it,
 * reading `listSteps(reader, id, after)` and the task every `intervalMs` (from the read replica when
 * there is one). A poller stops when its last follower leaves or when the task has finished.
 *
 * @example
 * const feed = createStepFeed({ reader: () => db.reader, intervalMs: 500, log });
 * const stop = feed.subscribe(42, { attempt: 0, seq: -1 }, (message) => send(message));
 */
export function createStepFeed(options: {
  reader: () => Queryable | undefined;
  intervalMs: number;
  log: Logger;
}): StepFeed {
  const pollers = new Map<number, Poller>();

  function deliver(follower: Follower, message: FeedMessage): void {
    if (!follower.ready) {
      follower.held.push(message);
      return;
    }
    if (message.type === "steps") {
      const fresh = message.steps.filter((step) => isAfter(step, follower.cursor));
      const last = fresh.at(-1);
      if (!last) return;
      follower.cursor = { attempt: last.attempt, seq: last.seq };
      follower.listener({ type: "steps", steps: fresh });
      return;
    }
    follower.listener(message);
  }

  function broadcast(poller: Poller, message: FeedMessage): void {
    for (const follower of poller.followers) deliver(follower, message);
  }

  function stopPoller(taskId: number, poller: Poller): void {
    poller.stopped = true;
    clearTimeout(poller.timer);
    if (pollers.get(taskId) === poller) pollers.delete(taskId);
  }

  async function tick(taskId: number, poller: Poller): Promise<void> {
    const db = options.reader();
    if (!db || poller.stopped) return;
    // The task first: once it has finished, the steps read after it are all there will be.
    const task = await getTask(db, taskId);
    const steps = await listSteps(db, taskId, poller.cursor);
    const last = steps.at(-1);
    if (last) poller.cursor = { attempt: last.attempt, seq: last.seq };
    if (steps.length > 0) broadcast(poller, { type: "steps", steps });
    if (!task) {
      broadcast(poller, { type: "end" });
      stopPoller(taskId, poller);
      return;
    }
    const state = `${task.status} ${task.tokens} ${task.cancelRequested}`;
    if (state !== poller.lastTask) {
      poller.lastTask = state;
      broadcast(poller, { type: "task", task });
    }
    if (FINISHED_STATUSES.includes(task.status)) {
      broadcast(poller, { type: "end" });
      stopPoller(taskId, poller);
    }
  }

  function schedule(taskId: number, poller: Poller, delayMs: number): void {
    if (poller.stopped) return;
    poller.timer = setTimeout(() => {
      tick(taskId, poller)
        .catch((error: unknown) => options.log.warn({ err: error, taskId }, "live step log: poll failed"))
        .finally(() => schedule(taskId, poller, options.intervalMs));
    }, delayMs);
    poller.timer.unref();
  }

  return {
    subscribe(taskId, after, listener) {
      const follower: Follower = { cursor: after, listener, ready: false, held: [] };
      let poller = pollers.get(taskId);
      if (!poller) {
        poller = {
          followers: new Set(),
          cursor: after,
          lastTask: undefined,
          timer: undefined,
          stopped: false,
        };
        pollers.set(taskId, poller);
        schedule(taskId, poller, 0);
      }
      const own = poller;
      own.followers.add(follower);
      // The steps before the poller's own position come from a one-off read for this follower; what
      // the poller broadcasts meanwhile waits, so nothing is missed or sent twice.
      const db = options.reader();
      const catchUp = db ? listSteps(db, taskId, after) : Promise.resolve([]);
      catchUp
        .then((steps) => {
          follower.ready = true;
          if (steps.length > 0) deliver(follower, { type: "steps", steps });
          for (const message of follower.held.splice(0)) deliver(follower, message);
        })
        .catch((error: unknown) => {
          options.log.warn({ err: error, taskId }, "live step log: catch-up read failed");
          follower.ready = true;
          for (const message of follower.held.splice(0)) deliver(follower, message);
        });
      return () => {
        own.followers.delete(follower);
        if (own.followers.size === 0) stopPoller(taskId, own);
      };
    },
    get pollers() {
      return pollers.size;
    },
    close() {
      for (const [taskId, poller] of pollers) stopPoller(taskId, poller);
    },
  };
}
