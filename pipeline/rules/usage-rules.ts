// Rules about how much an account is used: device velocity, concurrent streams, inactivity.
import type { Violation } from '../../schemas/index.ts';
import type { AccountState, Observation } from '../account-state.ts';
import type { RuleSettings } from './settings.ts';
import { evidenceLocation, violation } from './violation.ts';

const DAY = 86_400_000;

function within(seen: Record<string, number>, since: number): string[] {
  return Object.entries(seen)
    .filter(([, at]) => at >= since)
    .map(([key]) => key)
    .sort();
}

/** More distinct public addresses or devices within the window than a household has. Fires when crossing. */
export function deviceVelocity(state: AccountState, now: Observation, s: RuleSettings['deviceVelocity']): Violation[] {
  if (!s.enabled) return [];
  const since = now.at - s.windowMs;
  const ips = within(state.ips, since);
  const devices = within(state.devices, since);
  const over = ips.length > s.maxIps || devices.length > s.maxDevices;
  const crossed = over && !state.over.deviceVelocity;
  state.over.deviceVelocity = over;
  if (!crossed) return [];
  const byIps = ips.length > s.maxIps;
  return [
    violation('DEVICE_VELOCITY', s, state, {
      detectedAt: now.at,
      sessionKeys: [now.sessionKey],
      summary: byIps
        ? `${ips.length} addresses in ${Math.round(s.windowMs / 3_600_000)} h (limit ${s.maxIps})`
        : `${devices.length} devices in ${Math.round(s.windowMs / 3_600_000)} h (limit ${s.maxDevices})`,
      idParts: [...ips, '|', ...devices],
      evidence: {
        locations: [evidenceLocation(now)],
        count: byIps ? ips.length : devices.length,
        limit: byIps ? s.maxIps : s.maxDevices,
        windowMs: s.windowMs,
        ips,
        deviceIds: devices,
      },
    }),
  ];
}

/** More streams at once than the account may have. Fires when crossing. */
export function concurrentStreams(
  state: AccountState,
  at: number,
  s: RuleSettings['concurrentStreams'],
  trusted: (o: Observation) => boolean,
): Violation[] {
  const streams = Object.values(state.active).filter((o) => !trusted(o));
  const over = s.enabled && streams.length > s.maxStreams;
  const crossed = over && !state.over.concurrentStreams;
  state.over.concurrentStreams = over;
  if (!crossed) return [];
  const keys = streams.map((o) => o.sessionKey).sort();
  return [
    violation('CONCURRENT_STREAMS', s, state, {
      detectedAt: at,
      sessionKeys: keys,
      summary: `${streams.length} streams at once (limit ${s.maxStreams})`,
      idParts: keys,
      evidence: {
        locations: streams.map(evidenceLocation),
        count: streams.length,
        limit: s.maxStreams,
        ips: [...new Set(streams.map((o) => o.ip))].sort(),
        deviceIds: [...new Set(streams.map((o) => o.deviceId))].sort(),
      },
    }),
  ];
}

/** No playback for too long (checked on a schedule, not on events). */
export function inactivity(state: AccountState, now: number, s: RuleSettings['inactivity']): Violation[] {
  if (!s.enabled || now - state.lastActivityAt < s.inactiveDays * DAY) return [];
  const days = Math.floor((now - state.lastActivityAt) / DAY);
  return [
    violation('ACCOUNT_INACTIVITY', s, state, {
      detectedAt: now,
      sessionKeys: [],
      summary: `No playback for ${days} days (limit ${s.inactiveDays})`,
      idParts: [state.lastActivityAt],
      evidence: { count: days, limit: s.inactiveDays, lastActivityAt: state.lastActivityAt },
    }),
  ];
}
