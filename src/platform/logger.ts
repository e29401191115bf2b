/**
 * Structured JSON logs (pino), one line per entry on stdout. LOG_LEVEL picks the level (default
 * info; silent under the test runner unless LOG_LEVEL says otherwise). Authorization headers and
 * tokens are never written.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function defaultLevel(env: NodeJS.ProcessEnv): string {
  const wanted = env['LOG_LEVEL']?.trim().toLowerCase();
  if (wanted && (LOG_LEVELS as readonly string[]).includes(wanted)) return wanted;
  return env['VITEST'] ? 'silent' : 'info';
}

/** A logger writing to `destination` (default stdout). */
export function createLogger(options: { level?: string; destination?: DestinationStream; env?: NodeJS.ProcessEnv } = {}): Logger {
  return pino(
    {
      level: options.level ?? defaultLevel(options.env ?? process.env),
      base: { service: 'provenant' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['authorization', 'headers.authorization', 'token'], censor: '[withheld]' },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

let shared: Logger | undefined;

/** The process's logger, made on first use. */
export function processLogger(): Logger {
  shared ??= createLogger();
  return shared;
}
