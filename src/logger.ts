import { type DestinationStream, type Logger, pino } from "pino";
import type { Settings } from "./config/settings.ts";
import { redactSecrets } from "./redact.ts";

export type { Logger };

/**
 * The process logger: JSON lines on stderr (stdout stays free for command output). Every line
 * passes through `redactSecrets` before it is written, so neither token-shaped strings nor this
 * process's own secret values reach a log.
 *
 * @example
 * const log = createLogger(settings);
 * log.info({ taskId }, "task claimed");
 */
export function createLogger(
  settings: Pick<Settings, "logLevel">,
  destination: DestinationStream = pino.destination(2),
): Logger {
  return pino(
    {
      level: settings.logLevel,
      base: { name: "loopwright" },
      hooks: { streamWrite: (line) => redactSecrets(line) },
    },
    destination,
  );
}
