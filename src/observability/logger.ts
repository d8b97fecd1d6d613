// Structured logs with winston. JSON by default (one object a line, for log pipelines);
// readable text when asked (a developer's terminal). Every line about an object carries its
// kind, namespace and name, and the reconcile's id: use `objectLogger`.
import winston from 'winston';

export type Logger = winston.Logger;
export type LogFormat = 'json' | 'text';
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export function createLogger(level: LogLevel, format: LogFormat): Logger {
  const common = [winston.format.timestamp(), winston.format.errors({ stack: false })];
  const output =
    format === 'json'
      ? winston.format.json()
      : winston.format.printf(({ timestamp, level: lvl, message, ...fields }) => {
          const rest = Object.entries(fields)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ');
          return `${String(timestamp)} ${lvl.toUpperCase().padEnd(5)} ${String(message)}${rest ? ` ${rest}` : ''}`;
        });
  return winston.createLogger({
    level,
    levels: winston.config.npm.levels,
    format: winston.format.combine(...common, output),
    // stderr for everything: stdout stays free for tools that print results.
    transports: [new winston.transports.Console({ stderrLevels: [...LOG_LEVELS] })],
  });
}

/** Changes the level of a running logger (the operator exposes this over HTTP). */
export function setLogLevel(logger: Logger, level: LogLevel): void {
  // Transports have no level of their own, so they follow the logger's.
  logger.level = level;
}

export interface ObjectRef {
  kind: string;
  namespace?: string | undefined;
  name: string;
}

export function objectLogger(parent: Logger, ref: ObjectRef, fields: Record<string, unknown> = {}): Logger {
  return parent.child({ kind: ref.kind, namespace: ref.namespace, name: ref.name, ...fields });
}

/** A logger that drops everything: for unit tests of code that logs. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });
}
