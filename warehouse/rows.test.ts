// chTime formats every time the sinks and imports write: it must say exactly what Date's ISO form
// says, from 1900 to 2299 (DateTime64's range), at day boundaries and for fractions of a millisecond.
import { describe, expect, it } from 'vitest';
import { chTime } from './rows.ts';

const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
const DAY = 86_400_000;

describe('chTime', () => {
  it("writes Date's UTC time, to the millisecond, across DateTime64's range", () => {
    const from = Date.UTC(1900, 0, 1);
    const to = Date.UTC(2299, 11, 31);
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const times = [0, -1, 1, DAY - 1, DAY, -DAY, -DAY - 1, from, to, Date.UTC(2024, 1, 29, 23, 59, 59, 999)];
    for (let i = 0; i < 20_000; i++) times.push(Math.floor(from + random() * (to - from)));
    // Times given in fractions of a millisecond, as computed durations sometimes are.
    times.push(1.5, -1.5, DAY - 0.25, 1_764_000_000_123.9);
    // Rows of one batch share their day; the next row's day may be any.
    for (const t of times) expect(chTime(t)).toBe(iso(t));
    for (const t of [...times].reverse()) expect(chTime(t)).toBe(iso(t));
  });

  it('refuses a time that is no time, as Date does', () => {
    expect(() => chTime(Number.NaN)).toThrow(RangeError);
    expect(() => chTime(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
