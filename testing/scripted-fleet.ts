// The scripted fleet of the processor's tests on the real broker: one account per rule, each
// expected to be flagged exactly once, and the plays it is made of.
import type { PlaybackEvent } from '../schemas/index.ts';
import { DEFAULT_RULES, settingsFor } from '../pipeline/rules/settings.ts';
import { samplePlaybackEvent } from './fixtures.ts';

export const T0 = Date.UTC(2026, 10, 1, 18, 0, 0);
export const MIN = 60_000;
export const DAY = 86_400_000;
export const rules = settingsFor(DEFAULT_RULES, {
  deviceVelocity: { windowMs: 30 * DAY, maxIps: 10, maxDevices: 20 },
  geoRestriction: { denyCountries: ['RU'] },
});

/** One play: STARTED, PROGRESS every `step`, STOPPED at `to`. */
export function play(
  user: string,
  session: string,
  ip: string,
  from: number,
  to: number,
  step = 5 * MIN,
): PlaybackEvent[] {
  const events: PlaybackEvent[] = [];
  for (let at = from; at < to; at += step)
    events.push(
      samplePlaybackEvent({
        accountKey: `plex:${user}`,
        userId: user,
        userName: `user ${user}`,
        serverId: 'plex',
        sessionKey: session,
        clientIp: ip,
        observedAt: at,
        eventType: at === from ? 'STARTED' : 'PROGRESS',
        // Each play on its own device: travel and distance are measured between devices.
        device: { ...samplePlaybackEvent().device, deviceId: `${user}-${session}` },
      }),
    );
  events.push({ ...events[events.length - 1]!, eventType: 'STOPPED', observedAt: to, eventId: `${session}-stop` });
  return events.map((e, i) => ({ ...e, eventId: `${session}-${i}` }));
}

/** The scripted fleet: one account per rule, each expected to be flagged exactly once. */
export function fleet(): { early: PlaybackEvent[]; late: PlaybackEvent[]; expected: Record<string, string> } {
  const split = T0 + 20 * MIN;
  const all = [
    // Cambridge (Boston area), then London 30 minutes after: impossible travel, spanning the restart.
    ...play('1', 'travel-a', '18.9.22.69', T0, T0 + 10 * MIN),
    ...play('1', 'travel-b', '81.2.69.142', T0 + 40 * MIN, T0 + 90 * MIN),
    // London and Mountain View at the same time.
    ...play('2', 'share-a', '81.2.69.142', T0 + 30 * MIN, T0 + 2 * 60 * MIN),
    ...play('2', 'share-b', '8.8.8.8', T0 + 35 * MIN, T0 + 2 * 60 * MIN),
    // 15 addresses in London, one a day: the 11th crosses 10 in 30 days.
    ...Array.from({ length: 15 }, (_, i) =>
      play('3', `hop-${i}`, `81.2.69.${140 + i}`, T0 + i * DAY, T0 + i * DAY + 60 * MIN),
    ).flat(),
    // Four streams at once over a limit of three.
    ...Array.from({ length: 4 }, (_, i) => play('4', `stream-${i}`, '18.9.22.69', T0 + i * MIN, T0 + 60 * MIN)).flat(),
    // Moscow, a denied country.
    ...play('5', 'abroad', '77.88.55.60', T0 + 3 * DAY, T0 + 3 * DAY + 30 * MIN),
  ].sort((a, b) => a.observedAt - b.observedAt);
  return {
    early: all.filter((e) => e.observedAt < split),
    late: all.filter((e) => e.observedAt >= split),
    expected: {
      'plex:1': 'IMPOSSIBLE_TRAVEL',
      'plex:2': 'SIMULTANEOUS_LOCATIONS',
      'plex:3': 'DEVICE_VELOCITY',
      'plex:4': 'CONCURRENT_STREAMS',
      'plex:5': 'GEO_RESTRICTION',
    },
  };
}
