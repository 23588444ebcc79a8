import { createHash } from "node:crypto";
import { CronExpressionParser } from "cron-parser";
import cronstrue from "cronstrue";
import type { ScheduleConfig } from "./repo-config.ts";

/** `every:` schedules start within this many minutes after midnight in their time zone (00:00–05:59). */
export const EVERY_WINDOW_MINUTES = 360;

/**
 * A stable number from 0 to `bound - 1` for a repository's schedule: the same inputs always give
 * the same number, different schedules spread evenly.
 *
 * @example
 * jitterOf("octo/app", "deps", 360); // e.g. 217, every time
 */
export function jitterOf(repository: string, name: string, bound: number): number {
  const digest = createHash("sha256").update(`${repository.toLowerCase()}\0${name}`).digest();
  return digest.readUInt32BE(0) % bound;
}

/**
 * The cron expression a schedule runs on: its `cron`, or for `every: daily|weekly` a time in the first
 * six hours of the day (and a weekday) derived from the repository and the schedule's name, so a
 * thousand repositories asking for "daily" do not all start at the same minute.
 *
 * @example
 * scheduleCron({ name: "deps", every: "daily", prompt: "…" }, "octo/app"); // e.g. "37 3 * * *"
 */
export function scheduleCron(schedule: Pick<ScheduleConfig, "name" | "cron" | "every">, repository: string) {
  if (schedule.cron !== undefined) return schedule.cron.trim();
  const minuteOfWindow = jitterOf(repository, schedule.name, EVERY_WINDOW_MINUTES);
  const time = `${minuteOfWindow % 60} ${Math.floor(minuteOfWindow / 60)}`;
  if (schedule.every === "weekly") return `${time} * * ${jitterOf(repository, `${schedule.name}#day`, 7)}`;
  return `${time} * * *`;
}

/**
 * The first slot of a cron expression strictly after `after`, in a time zone (IANA name). Daylight
 * saving changes are handled by cron-parser: a local time skipped in spring runs at the first valid
 * time after it, a local time repeated in autumn runs once.
 *
 * @example
 * nextSlot("30 2 * * *", "Europe/Berlin", new Date("2026-03-28T12:00:00Z")); // 2026-03-29T01:30:00Z
 * @throws Error when the expression or time zone is not valid (the config schema rules both out)
 */
export function nextSlot(cron: string, timezone: string, after: Date): Date {
  return CronExpressionParser.parse(cron, { tz: timezone, currentDate: after }).next().toDate();
}

/**
 * The latest slot at or before `now`, but not before `from`: which slot a schedule due since `from`
 * catches up on after downtime (once, however many slots were missed).
 *
 * @example
 * latestSlot("0 * * * *", "UTC", new Date("2026-01-01T01:00:00Z"), new Date("2026-01-01T05:10:00Z"));
 * // 2026-01-01T05:00:00Z
 */
export function latestSlot(cron: string, timezone: string, from: Date, now: Date): Date {
  const previous = CronExpressionParser.parse(cron, {
    tz: timezone,
    currentDate: new Date(now.getTime() + 1),
  })
    .prev()
    .toDate();
  return previous.getTime() < from.getTime() ? from : previous;
}

/**
 * A cron expression in words with its time zone, for the dashboard.
 *
 * @example
 * describeCron("0 4 * * 1", "Europe/Berlin"); // "At 04:00, only on Monday (Europe/Berlin)"
 */
export function describeCron(cron: string, timezone: string): string {
  let words: string;
  try {
    words = cronstrue.toString(cron, { use24HourTimeFormat: true, verbose: false });
  } catch {
    words = cron;
  }
  return `${words} (${timezone})`;
}
