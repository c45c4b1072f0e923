import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/** Root logger: JSON lines on stdout, level from LOG_LEVEL (default info; 'silent' in tests unless set). */
export function createLogger(
  name = 'streamwarden',
  level = process.env.LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info'),
): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}
