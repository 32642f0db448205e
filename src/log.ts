import { type Logger, pino } from "pino";

export type { Logger };

/**
 * Structured JSON logs (pino): cheap enough for the hot path, one line per event, and the
 * redaction below makes sure a token that ends up in a logged object is never written.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { app: "nexus" },
      redact: {
        paths: ["token", "*.token", "*.*.token", "headers.authorization", "*.headers.authorization"],
        censor: "[redacted]",
      },
    },
    destination ?? pino.destination({ sync: false }),
  );
}

/** A logger that drops everything: for unit tests. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
