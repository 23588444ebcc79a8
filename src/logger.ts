import { type Logger, pino } from "pino";
import type { Settings } from "./config/settings.ts";

export type { Logger };

/**
 * The process logger: JSON lines on stderr (stdout stays free for command output),
 * with token-shaped values redacted by the serializers of the modules that log them.
 *
 * @example
 * const log = createLogger(settings);
 * log.info({ taskId }, "task claimed");
 */
export function createLogger(settings: Pick<Settings, "logLevel">): Logger {
  return pino({ level: settings.logLevel, base: { name: "loopwright" } }, pino.destination(2));
}
