// More distinct public addresses or devices within the window than a household has.
import { defineRule, notifyOnly, type RuleBase } from './rule.ts';
import { evidenceLocation, violation } from './violation.ts';
import { networkLines, reason } from './innocence.ts';

const HOUR = 3_600_000;

export interface DeviceVelocitySettings extends RuleBase {
  windowMs: number;
  maxIps: number;
  maxDevices: number;
}

function within(seen: Record<string, number>, since: number): string[] {
  return Object.entries(seen)
    .filter(([, at]) => at >= since)
    .map(([key]) => key)
    .sort();
}

/** Fires when crossing the limit, not on every event over it. */
export const deviceVelocity = defineRule<'deviceVelocity', DeviceVelocitySettings>({
  id: 'DEVICE_VELOCITY',
  settingsKey: 'deviceVelocity',
  runsOn: 'recorded',
  actions: ['notify', 'terminate'],
  defaults: { ...notifyOnly, severity: 'MEDIUM', trustPenalty: 10, windowMs: 24 * HOUR, maxIps: 5, maxDevices: 5 },
  parameters: {
    windowMs: { kind: 'number', unit: 'h', scale: HOUR, min: HOUR, max: 30 * 24 * HOUR },
    maxIps: { kind: 'number', unit: 'count', min: 1, max: 1000, integer: true },
    maxDevices: { kind: 'number', unit: 'count', min: 1, max: 1000, integer: true },
  },
  evaluate({ state, now }, s) {
    if (!s.enabled || !now) return [];
    const since = now.at - s.windowMs;
    const ips = within(state.ips, since);
    const devices = within(state.devices, since);
    const over = ips.length > s.maxIps || devices.length > s.maxDevices;
    const crossed = over && !state.over.deviceVelocity;
    state.over.deviceVelocity = over;
    if (!crossed) return [];
    const byIps = ips.length > s.maxIps;
    const hours = Math.round(s.windowMs / HOUR);
    return [
      violation('DEVICE_VELOCITY', s, state, {
        detectedAt: now.at,
        sessionKeys: [now.sessionKey],
        summary: byIps
          ? `${ips.length} addresses in ${hours} h (limit ${s.maxIps})`
          : `${devices.length} devices in ${hours} h (limit ${s.maxDevices})`,
        idParts: [...ips, '|', ...devices],
        evidence: {
          locations: [evidenceLocation(now)],
          count: byIps ? ips.length : devices.length,
          limit: byIps ? s.maxIps : s.maxDevices,
          windowMs: s.windowMs,
          // A device whose address wanders is counted once, as "device <id>": not an address.
          ips: ips.filter((k) => !k.startsWith('device ')),
          deviceIds: devices,
        },
      }),
    ];
  },
  innocentIf(e, s) {
    const hours = Math.round(s.windowMs / HOUR);
    const counted = e.ips.length > s.maxIps ? 'addresses' : 'devices';
    return [
      reason(
        `velocity.${counted}` as const,
        `Innocent with a limit of ${e.count ?? 0} ${counted} in ${hours} h for this account (a large household: set it on the account)`,
        { count: e.count ?? 0, hours },
      ),
      reason(
        'velocity.mobile',
        'A phone on a mobile network, or a device on a VPN, counts as one address once its network is known',
      ),
      ...networkLines(e.locations),
    ];
  },
});
