import { describe, expect, it } from 'vitest';
import { AppError } from './errors.ts';
import { checkTimeZone, startOfDay } from './time-zone.ts';

const at = (iso: string) => Date.parse(iso);

describe('time zones', () => {
  it('accepts IANA names and refuses anything else with an invalid-input error', () => {
    expect(checkTimeZone('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(checkTimeZone('UTC')).toBe('UTC');
    expect(() => checkTimeZone('Mars/Olympus')).toThrow(AppError);
    expect(() => checkTimeZone("UTC'); DROP TABLE x")).toThrow(/unknown time zone/);
    expect(() => checkTimeZone('+05:30')).toThrow(AppError);
  });

  it('finds the start of the local day, on either side of UTC midnight', () => {
    expect(startOfDay(at('2026-11-26T10:00:00Z'), 'UTC')).toBe(at('2026-11-26T00:00:00Z'));
    // 03:00 in Kolkata on the 27th is 21:30 UTC on the 26th.
    expect(startOfDay(at('2026-11-26T21:30:00Z'), 'Asia/Kolkata')).toBe(at('2026-11-26T18:30:00Z'));
    expect(startOfDay(at('2026-11-26T02:00:00Z'), 'America/New_York')).toBe(at('2026-11-25T05:00:00Z'));
    expect(startOfDay(at('2026-11-26T12:00:00Z'), 'Asia/Kathmandu')).toBe(at('2026-11-25T18:15:00Z'));
  });

  it('counts calendar days across daylight-saving changes', () => {
    // Berlin leaves summer time on 25 October 2026: that day has 25 hours.
    const day = at('2026-10-25T12:00:00Z');
    expect(startOfDay(day, 'Europe/Berlin')).toBe(at('2026-10-24T22:00:00Z'));
    expect(startOfDay(day, 'Europe/Berlin', 1)).toBe(at('2026-10-25T23:00:00Z'));
    expect(startOfDay(day, 'Europe/Berlin', -30)).toBe(at('2026-09-24T22:00:00Z'));
  });
});
