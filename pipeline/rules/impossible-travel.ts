// From the last place the account was seen to this one faster than anyone travels.
import { defineRule, notifyOnly, type RuleBase } from './rule.ts';
import { distanceKm, located, sameDevice } from './distance.ts';
import { duration, evidenceLocation, km, placeName, violation } from './violation.ts';
import { householdLine, networkLines, precisionLines, reason } from './innocence.ts';

export interface ImpossibleTravelSettings extends RuleBase {
  maxSpeedKmh: number;
  minDistanceKm: number;
}

/**
 * Only the same session (a change of address) or a session that has ended counts: two sessions
 * playing at once in different places are one incident, which simultaneous locations reports.
 * Travel is measured between two devices: one device cannot be in two places, so when the same
 * device "jumps" it is its address that moved (a phone's carrier NAT, a VPN switched on), which
 * is no evidence of a second person. Nor is a move between two devices of one household (both
 * seen at one place): one member at a second home or on a trip while another watches at home.
 */
export const impossibleTravel = defineRule<'impossibleTravel', ImpossibleTravelSettings>({
  id: 'IMPOSSIBLE_TRAVEL',
  settingsKey: 'impossibleTravel',
  runsOn: 'arrival',
  actions: ['notify', 'terminate'],
  defaults: { ...notifyOnly, severity: 'HIGH', trustPenalty: 20, maxSpeedKmh: 1000, minDistanceKm: 50 },
  parameters: {
    maxSpeedKmh: { kind: 'number', unit: 'km/h', min: 1, max: 100_000 },
    minDistanceKm: { kind: 'number', unit: 'km', min: 0, max: 20_100 },
  },
  evaluate({ state, now, wandering, household }, s) {
    const before = state.lastLocated;
    if (!s.enabled || !located(now) || !located(before) || before.ip === now.ip) return [];
    if (wandering?.(now) || wandering?.(before)) return [];
    if (before.sessionKey !== now.sessionKey && state.active[before.sessionKey]) return [];
    if (sameDevice(before, now)) return [];
    const distance = distanceKm(before, now);
    if (distance < s.minDistanceKm) return [];
    // A minute at least: two reports in the same poll are not an infinite speed.
    const elapsed = Math.max(now.at - before.at, 60_000);
    const speed = distance / (elapsed / 3_600_000);
    // Asked last: the cheap checks first, on every event.
    if (speed <= s.maxSpeedKmh || household?.(before, now)) return [];
    const kmh = Math.round(speed).toLocaleString('en-US');
    return [
      violation('IMPOSSIBLE_TRAVEL', s, state, {
        detectedAt: now.at,
        sessionKeys: [before.sessionKey, now.sessionKey],
        summary: `${placeName(before)} -> ${placeName(now)}, ${km(distance)} in ${duration(elapsed)} = ${kmh} km/h`,
        idParts: [before.sessionKey, before.ip, now.sessionKey, now.ip],
        evidence: {
          locations: [evidenceLocation(before), evidenceLocation(now)],
          distanceKm: Math.round(distance),
          elapsedMs: now.at - before.at,
          speedKmh: Math.round(speed),
          ips: [before.ip, now.ip],
          deviceIds: [before.deviceId, now.deviceId],
        },
      }),
    ];
  },
  innocentIf(e, s, install) {
    const needed = e.distanceKm === null ? null : (e.distanceKm / s.maxSpeedKmh) * 3_600_000;
    return [
      ...(needed === null
        ? []
        : [
            reason(
              'travel.later',
              `Innocent had the second play come ${duration(needed)} or more after the first (${s.maxSpeedKmh} km/h)`,
              { neededMs: Math.round(needed), maxKmh: s.maxSpeedKmh },
            ),
          ]),
      ...householdLine(e.locations, install?.householdWindowMs),
      ...networkLines(e.locations),
      ...precisionLines(e.locations, e.distanceKm),
    ];
  },
});
