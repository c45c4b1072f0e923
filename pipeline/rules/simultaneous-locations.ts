// Sessions of the account playing at the same time from places far apart.
import { defineRule, notifyOnly, type RuleBase } from './rule.ts';
import { distanceKm, located, sameDevice } from './distance.ts';
import { evidenceLocation, km, placeName, violation } from './violation.ts';
import { householdLine, networkLines, precisionLines, reason } from './innocence.ts';

export interface SimultaneousLocationsSettings extends RuleBase {
  minDistanceKm: number;
}

/**
 * One violation per set of conflicting sessions (identified by the set, so observing the same
 * sessions again adds nothing); a further far-away session makes a new set. Two devices of one
 * household (both seen at one place) far apart are two members of it, not a second person.
 */
export const simultaneousLocations = defineRule<'simultaneousLocations', SimultaneousLocationsSettings>({
  id: 'SIMULTANEOUS_LOCATIONS',
  settingsKey: 'simultaneousLocations',
  runsOn: 'arrival',
  actions: ['notify', 'terminate'],
  defaults: { ...notifyOnly, severity: 'HIGH', trustPenalty: 15, minDistanceKm: 100 },
  parameters: { minDistanceKm: { kind: 'number', unit: 'km', min: 0, max: 20_100 } },
  evaluate({ state, now, trusted, wandering, household }, s) {
    if (!s.enabled || !located(now) || wandering?.(now)) return [];
    const conflicts = Object.values(state.active)
      .filter(located)
      .filter(
        (other) =>
          other.sessionKey !== now.sessionKey &&
          other.ip !== now.ip &&
          !wandering?.(other) &&
          !sameDevice(other, now) &&
          !trusted(other) &&
          distanceKm(other, now) > s.minDistanceKm &&
          !household?.(other, now),
      );
    if (conflicts.length === 0) return [];
    const sessions = [...conflicts, now].sort((x, y) => (x.sessionKey < y.sessionKey ? -1 : 1));
    const farthest = Math.max(...conflicts.map((other) => distanceKm(other, now)));
    const places = [...new Set(sessions.map(placeName))];
    const apart = `${conflicts.length === 1 ? '' : 'up to '}${km(farthest)} apart`;
    return [
      violation('SIMULTANEOUS_LOCATIONS', s, state, {
        detectedAt: now.at,
        sessionKeys: sessions.map((o) => o.sessionKey),
        summary: `Playing in ${places.slice(0, -1).join(', ')} and ${places[places.length - 1]} at once, ${apart}`,
        idParts: sessions.flatMap((o) => [o.sessionKey, o.ip]),
        evidence: {
          locations: sessions.map(evidenceLocation),
          distanceKm: Math.round(farthest),
          count: sessions.length,
          ips: [...new Set(sessions.map((o) => o.ip))].sort(),
          deviceIds: [...new Set(sessions.map((o) => o.deviceId))].sort(),
        },
      }),
    ];
  },
  innocentIf(e, s, install) {
    return [
      reason('simultaneous.closer', `Innocent had the places been within ${km(s.minDistanceKm)} of each other`, {
        distanceKm: s.minDistanceKm,
      }),
      ...householdLine(e.locations, install?.householdWindowMs),
      ...networkLines(e.locations),
      ...precisionLines(e.locations, e.distanceKm),
    ];
  },
});
