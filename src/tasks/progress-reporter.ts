import { summarizeEvent } from "../agent/event-summary.ts";
import type { AgentEvent } from "../agent/events.ts";
import type { GitHubClient } from "../github/client.ts";
import { type IssueTarget, updateComment, upsertMarkedComment } from "../github/comments.ts";
import { taskMarker } from "../github/markdown.ts";
import { type ProgressView, renderProgressComment } from "../github/progress-comment.ts";
import type { Logger } from "../logger.ts";

export type ProgressReporterOptions = {
  octokit: GitHubClient;
  target: IssueTarget;
  taskId: number;
  kind: ProgressView["kind"];
  command: string;
  maxSteps: number;
  /** Tokens already spent by earlier attempts. */
  tokens: number;
  log: Logger;
  /** Remembers the comment so a retried attempt edits it instead of posting another. */
  recordCommentId(id: number): Promise<void>;
  /** At most one edit per this many milliseconds while running (the final edit is never held back). */
  throttleMs?: number;
  now?: () => number;
};

export type FinalProgress = {
  status: Exclude<ProgressView["status"], "queued" | "running">;
  result: ProgressView["result"];
};

/**
 * The task's one progress comment: created (or found by its marker) when the task starts — in the
 * background, so GitHub's round trips and Octokit's spacing of content-creating requests never hold
 * up the workspace or the first model request — edited in place as steps happen (throttled, never
 * blocking the agent), and rewritten with the result at the end. Edits wait for the comment to
 * exist. A failed creation or edit is logged, never fails the task; a comment that could not be
 * created is tried again at the next edit (found by its marker, so never posted twice).
 *
 * @example
 * const progress = ProgressReporter.start({ octokit, target, taskId: 7, kind: "fix", … });
 * await runAgent({ …, onEvent: (event) => progress.onEvent(event) });
 * await progress.finish({ status: "succeeded", result: { pullRequest } });
 */
export class ProgressReporter {
  readonly #options: ProgressReporterOptions;
  readonly #startedAt: number;
  readonly #view: ProgressView;
  /** The comment's id once posted; undefined when posting failed. */
  #commentId: Promise<number | undefined>;
  #lastEditAt: number;
  #timer: NodeJS.Timeout | undefined;
  #edits: Promise<void>;

  private constructor(options: ProgressReporterOptions, view: ProgressView, startedAt: number) {
    this.#options = options;
    this.#view = view;
    this.#startedAt = startedAt;
    this.#lastEditAt = startedAt;
    this.#commentId = this.#post();
    this.#edits = this.#commentId.then(() => {});
  }

  /** Starts posting the comment and returns at once; `finish` and the edits wait for it. */
  static start(options: ProgressReporterOptions): ProgressReporter {
    const view: ProgressView = {
      taskId: String(options.taskId),
      kind: options.kind,
      status: "running",
      command: options.command,
      elapsedMs: 0,
      tokens: options.tokens,
      plan: [],
    };
    return new ProgressReporter(options, view, (options.now ?? Date.now)());
  }

  /** Folds an agent event into the comment; the edit happens now or at the end of the throttle window. */
  onEvent(event: AgentEvent): void {
    const view = this.#view;
    if (event.type === "plan_update") view.plan = event.plan;
    if (event.type === "model_turn" || event.type === "compaction") view.tokens += event.usage.total;
    if (event.type !== "final") {
      view.currentStep = {
        number: event.step,
        maxSteps: this.#options.maxSteps,
        description: summarizeEvent(event),
      };
    }
    this.#schedule();
  }

  /** Writes the end state at once (waiting for the comment and any edit under way), and stops further edits. */
  async finish(final: FinalProgress): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#view.status = final.status;
    this.#view.result = final.result;
    this.#view.currentStep = undefined;
    await this.#edit();
  }

  /** Creates the comment (or finds it by its marker) with the current view; resolves to its id. */
  async #post(): Promise<number | undefined> {
    const { octokit, target, taskId, log } = this.#options;
    try {
      const comment = await upsertMarkedComment(
        octokit,
        target,
        taskMarker(String(taskId)),
        renderProgressComment(this.#view),
      );
      await this.#options.recordCommentId(comment.id);
      return comment.id;
    } catch (error) {
      log.warn({ err: error }, "could not post the progress comment");
      return undefined;
    }
  }

  #schedule(): void {
    if (this.#timer) return;
    const now = (this.#options.now ?? Date.now)();
    const wait = Math.max(0, this.#lastEditAt + (this.#options.throttleMs ?? 3_000) - now);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#edit();
    }, wait);
    this.#timer.unref();
  }

  #edit(): Promise<void> {
    const now = (this.#options.now ?? Date.now)();
    this.#lastEditAt = now;
    this.#view.elapsedMs = now - this.#startedAt;
    const body = renderProgressComment(this.#view);
    const { owner, repo } = this.#options.target;
    this.#edits = this.#edits.then(async () => {
      const commentId = await this.#commentId;
      if (commentId === undefined) {
        this.#commentId = this.#post();
        await this.#commentId;
        return;
      }
      await updateComment(this.#options.octokit, { owner, repo, commentId }, body).catch((error: unknown) =>
        this.#options.log.warn({ err: error }, "could not update the progress comment"),
      );
    });
    return this.#edits;
  }
}
