import { describe, expect, it } from "vitest";
import { limitRefusal, type TaskLimits, type TaskUsage } from "../../src/store/task-limits.ts";

const limits: TaskLimits = { perRequesterPerHour: 3, perRepositoryPerHour: 5, perRequesterActive: 2 };
const at = (minute: number) => new Date(Date.UTC(2026, 4, 1, 14, minute));
const none: TaskUsage = { repositoryLastHour: [], requesterLastHour: [], requesterActive: [] };

describe("limitRefusal", () => {
  it("allows a task while every count is under its limit", () => {
    expect(limitRefusal(none, limits)).toBeUndefined();
    expect(
      limitRefusal(
        {
          repositoryLastHour: [at(1), at(2), at(3), at(4)],
          requesterLastHour: [at(1), at(2)],
          requesterActive: [7],
        },
        limits,
      ),
    ).toBeUndefined();
  });

  it("refuses the requester's next task at per_requester_active unfinished ones, naming them", () => {
    expect(limitRefusal({ ...none, requesterActive: [7, 9] }, limits)).toEqual({
      limit: "per_requester_active",
      max: 2,
      activeTaskIds: [7, 9],
    });
  });

  it("refuses at per_requester_per_hour, freeing up an hour after the oldest of the window", () => {
    const usage = {
      ...none,
      repositoryLastHour: [at(1), at(5), at(9)],
      requesterLastHour: [at(1), at(5), at(9)],
    };
    expect(limitRefusal(usage, limits)).toEqual({
      limit: "per_requester_per_hour",
      max: 3,
      freesAt: new Date(Date.UTC(2026, 4, 1, 15, 1)),
    });
  });

  it("refuses at per_repository_per_hour whoever asks", () => {
    const usage = { ...none, repositoryLastHour: [at(0), at(10), at(20), at(30), at(40)] };
    expect(limitRefusal(usage, limits)).toEqual({
      limit: "per_repository_per_hour",
      max: 5,
      freesAt: new Date(Date.UTC(2026, 4, 1, 15, 0)),
    });
  });

  it("waits for enough of the window to pass when a limit was lowered below the count", () => {
    const usage = { ...none, requesterLastHour: [at(1), at(2), at(3), at(4), at(5)] };
    // Three of five must leave before fewer than three remain: the third oldest leaves at 15:03.
    expect(limitRefusal({ ...usage, repositoryLastHour: usage.requesterLastHour }, limits)).toMatchObject({
      limit: "per_requester_per_hour",
      freesAt: new Date(Date.UTC(2026, 4, 1, 15, 3)),
    });
  });

  it("names the hourly limit that frees up later when both are reached", () => {
    const requesterLastHour = [at(30), at(40), at(50)];
    const repositoryLastHour = [at(0), at(10), ...requesterLastHour];
    expect(limitRefusal({ ...none, requesterLastHour, repositoryLastHour }, limits)).toMatchObject({
      limit: "per_requester_per_hour",
      freesAt: new Date(Date.UTC(2026, 4, 1, 15, 30)),
    });
    const busierRepository = [at(20), at(25), at(30), at(40), at(50)];
    const early = [at(1), at(2), at(3)];
    expect(
      limitRefusal({ ...none, requesterLastHour: early, repositoryLastHour: busierRepository }, limits),
    ).toMatchObject({ limit: "per_repository_per_hour", freesAt: new Date(Date.UTC(2026, 4, 1, 15, 20)) });
  });

  it("names the unfinished tasks first: they free up when one ends, whatever the hour", () => {
    const full = [at(1), at(2), at(3), at(4), at(5)];
    expect(
      limitRefusal({ repositoryLastHour: full, requesterLastHour: full, requesterActive: [4, 5] }, limits),
    ).toMatchObject({ limit: "per_requester_active" });
  });

  it("allows exactly up to each limit of one", () => {
    const one: TaskLimits = { perRequesterPerHour: 1, perRepositoryPerHour: 1, perRequesterActive: 1 };
    expect(limitRefusal(none, one)).toBeUndefined();
    expect(limitRefusal({ ...none, repositoryLastHour: [at(0)] }, one)).toMatchObject({
      limit: "per_repository_per_hour",
    });
  });
});
