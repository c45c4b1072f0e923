// One logger for every process: JSON lines for machines (log collectors, `docker logs`), readable
// lines for people at a terminal. LOG_FORMAT=json or pretty chooses; by default a terminal gets
// pretty lines and everything else JSON.
import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

export type Logger = PinoLogger;

/** Whether logs are for a person at a terminal. */
export function prettyLogs(env = process.env, stdoutIsTty = process.stdout.isTTY === true): boolean {
  if (env.LOG_FORMAT === 'json') return false;
  if (env.LOG_FORMAT === 'pretty') return true;
  return stdoutIsTty && !env.VITEST;
}

/** Root logger, level from LOG_LEVEL (default info; 'silent' in tests unless set). */
export function createLogger(
  name = 'streamwarden',
  level = process.env.LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info'),
): Logger {
  const options = { name, level, base: { pid: process.pid } };
  // Synchronous and in this thread, so a line written just before a crash is not lost.
  return prettyLogs()
    ? pino(
        options,
        pretty({
          colorize: process.stdout.isTTY === true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname',
          sync: true,
        }),
      )
    : pino(options);
}
