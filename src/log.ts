// bunyan JSON-lines logging; one root logger per process, a child per actor.
import bunyan from "bunyan";

export type Logger = bunyan;

const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
export type LogLevel = (typeof LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LEVELS as readonly string[]).includes(value);
}

export function createLogger(
  options: { name?: string; level?: LogLevel; stream?: NodeJS.WritableStream } = {},
): Logger {
  return bunyan.createLogger({
    name: options.name ?? "vl3-nse",
    level: options.level ?? "info",
    stream: options.stream ?? process.stdout,
    serializers: bunyan.stdSerializers,
  });
}

/** A logger that drops everything: the default in tests and benchmarks. */
export function silentLogger(): Logger {
  return bunyan.createLogger({ name: "vl3-nse", streams: [] });
}
