// The viewer's time zone, which decides what day a play belongs to. IANA names only ("Europe/Berlin",
// "Asia/Kolkata", "UTC"); ClickHouse and Intl share that database.
import { AppError } from './errors.ts';

/** The zone name as given when it is one Intl knows (IANA names only); an AppError('invalid') otherwise. */
export function checkTimeZone(timeZone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    // Intl also takes offsets such as "+05:30", which ClickHouse does not.
    if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(timeZone)) throw new RangeError(timeZone);
    return timeZone;
  } catch {
    throw new AppError('invalid', `unknown time zone "${timeZone}" (use an IANA name such as Europe/Berlin)`);
  }
}

/** Offset of the zone from UTC at the instant `ms`, in ms (east positive). */
function offsetMs(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(ms);
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)!.value);
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return wall - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant the day holding `ms` began in the zone, `addDays` days later (negative: earlier).
 * Days are calendar days: 23 or 25 hours long across a daylight-saving change.
 */
export function startOfDay(ms: number, timeZone: string, addDays = 0): number {
  const local = new Date(ms + offsetMs(ms, timeZone));
  const midnightWall = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + addDays);
  // The wall-clock midnight read with the offset in force around it; once more in case the first
  // guess crossed a daylight-saving change.
  let guess = midnightWall - offsetMs(midnightWall, timeZone);
  guess = midnightWall - offsetMs(guess, timeZone);
  return guess;
}

/**
 * The instant a wall-clock time of the zone names, `wallMs` being that wall time read as if it were
 * UTC (Date.UTC of its fields). In a daylight-saving gap or overlap, the offset in force around it.
 */
export function wallClockInstant(wallMs: number, timeZone: string): number {
  const guess = wallMs - offsetMs(wallMs, timeZone);
  return wallMs - offsetMs(guess, timeZone);
}

/** The instant the week (Monday to Sunday) holding `ms` began in the zone. */
export function startOfWeek(ms: number, timeZone: string): number {
  const weekday = (new Date(ms + offsetMs(ms, timeZone)).getUTCDay() + 6) % 7;
  return startOfDay(ms, timeZone, -weekday);
}
