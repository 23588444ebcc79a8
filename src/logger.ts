import { type DestinationStream, type Logger, pino } from "pino";
import pretty from "pino-pretty";
import type { Settings } from "./config/settings.ts";
import { redactSecrets } from "./redact.ts";

export type { Logger };

/** How log lines are written: `pretty` for a person at a terminal, `json` for a collector. */
export type LogFormat = "pretty" | "json";

/** Pino writes these fields itself; a logged object's own `level` or `time` is renamed, not repeated. */
const CORE_FIELDS: Record<string, string> = { level: "levelField", time: "timeField" };

/**
 * One JSON object per line with each key once: a child logger's binding (`name` of Probot's
 * server logger, a `taskId` bound twice) or a logged field replaces the earlier value of the same key
 * instead of repeating it, so every JSON parser reads the line the same way.
 *
 * @example
 * uniqueKeys('{"level":30,"name":"loopwright","name":"probot","msg":"hi"}\n');
 * // '{"level":30,"name":"probot","msg":"hi"}\n'
 */
export function uniqueKeys(line: string): string {
  try {
    return `${JSON.stringify(JSON.parse(line))}\n`;
  } catch {
    return line;
  }
}

/**
 * The process logger, on stderr (stdout stays free for command output): pretty, coloured lines when
 * stderr is a terminal, JSON lines otherwise — one format per stream. Every line passes through
 * `redactSecrets` before it is written, so neither token-shaped strings nor this process's own secret
 * values reach a log; each key appears once per line (`uniqueKeys`).
 *
 * @example
 * const log = createLogger(settings);
 * log.info({ taskId }, "task claimed");
 */
export function createLogger(
  settings: Pick<Settings, "logLevel">,
  destination?: DestinationStream,
  format: LogFormat = destination === undefined && process.stderr.isTTY ? "pretty" : "json",
): Logger {
  const stream =
    format === "pretty"
      ? pretty({ destination: destination ?? 2, sync: true, colorize: destination === undefined })
      : (destination ?? pino.destination(2));
  return pino(
    {
      level: settings.logLevel,
      base: { name: "loopwright" },
      formatters: {
        log: (object) =>
          Object.fromEntries(Object.entries(object).map(([key, value]) => [CORE_FIELDS[key] ?? key, value])),
      },
      hooks: { streamWrite: (line) => redactSecrets(uniqueKeys(line)) },
    },
    stream,
  );
}
