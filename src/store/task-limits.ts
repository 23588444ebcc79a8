/** How many tasks may be asked for, from a repository's `limits` section. */
export type TaskLimits = {
  /** Tasks one person may start in a repository in any 60 minutes. */
  perRequesterPerHour: number;
  /** Tasks a repository may start in any 60 minutes, whoever asks. */
  perRepositoryPerHour: number;
  /** Unfinished (queued or running) tasks one person may have in a repository. */
  perRequesterActive: number;
};

/**
 * The limits from a repository's `limits` section (`.github/loopwright.yml` spells them in snake case).
 *
 * @example
 * taskLimitsOf(config.limits); // { perRequesterPerHour: 10, perRepositoryPerHour: 30, perRequesterActive: 3 }
 */
export function taskLimitsOf(limits: {
  per_requester_per_hour: number;
  per_repository_per_hour: number;
  per_requester_active: number;
}): TaskLimits {
  return {
    perRequesterPerHour: limits.per_requester_per_hour,
    perRepositoryPerHour: limits.per_repository_per_hour,
    perRequesterActive: limits.per_requester_active,
  };
}

/** What a repository and a requester already have when a new task is asked for. */
export type TaskUsage = {
  /** When the repository's tasks of the last 60 minutes were created, oldest first. */
  repositoryLastHour: Date[];
  /** When the requester's tasks in the repository of the last 60 minutes were created, oldest first. */
  requesterLastHour: Date[];
  /** The requester's unfinished tasks in the repository. */
  requesterActive: number[];
};

/** A limit that refuses a new task, named as in `.github/loopwright.yml`, with when it frees up. */
export type LimitRefusal =
  | { limit: "per_requester_active"; max: number; activeTaskIds: number[] }
  | HourlyRefusal;

type HourlyRefusal = {
  limit: "per_requester_per_hour" | "per_repository_per_hour";
  max: number;
  freesAt: Date;
};

const HOUR_MS = 3_600_000;

/** When a window that holds `times` (oldest first) has room for one more of `max`; undefined if it has now. */
function hourlyRoomAt(times: Date[], max: number): Date | undefined {
  if (times.length < max) return undefined;
  // Once this many of the oldest have left the window, fewer than `max` remain in it.
  const oldestToLeave = times[times.length - max]!;
  return new Date(oldestToLeave.getTime() + HOUR_MS);
}

/**
 * Whether a new task would break a limit, and which. The requester's unfinished tasks come first (they
 * free up when one ends); of two hourly limits, the one that frees up later is named, so asking again
 * at that time works.
 *
 * @example
 * limitRefusal(
 *   { repositoryLastHour: [], requesterLastHour: [], requesterActive: [4, 5, 6] },
 *   { perRequesterPerHour: 10, perRepositoryPerHour: 30, perRequesterActive: 3 },
 * ); // { limit: "per_requester_active", max: 3, activeTaskIds: [4, 5, 6] }
 */
export function limitRefusal(usage: TaskUsage, limits: TaskLimits): LimitRefusal | undefined {
  if (usage.requesterActive.length >= limits.perRequesterActive) {
    return {
      limit: "per_requester_active",
      max: limits.perRequesterActive,
      activeTaskIds: usage.requesterActive,
    };
  }
  const hourly: HourlyRefusal[] = [];
  const requesterFreesAt = hourlyRoomAt(usage.requesterLastHour, limits.perRequesterPerHour);
  if (requesterFreesAt) {
    hourly.push({
      limit: "per_requester_per_hour",
      max: limits.perRequesterPerHour,
      freesAt: requesterFreesAt,
    });
  }
  const repositoryFreesAt = hourlyRoomAt(usage.repositoryLastHour, limits.perRepositoryPerHour);
  if (repositoryFreesAt) {
    hourly.push({
      limit: "per_repository_per_hour",
      max: limits.perRepositoryPerHour,
      freesAt: repositoryFreesAt,
    });
  }
  return hourly.sort((a, b) => b.freesAt.getTime() - a.freesAt.getTime())[0];
}
