// A second household: the account used, day after day, from a place far from another place it is
// used from, on devices never seen at the other. That is someone else's home, even when they
// never watch at the same time as the owner (the sharer overlap rules cannot see). Travel does not
// look like this: a traveller's devices are the household's own, seen at home too; so does a
// second home visited with the household's tablet. A second home with a television of its own is
// the case the admin confirms once (trusted device or address range).
import { haversineKm } from '../../core/geo-math.ts';
import { placeAt } from '../places.ts';
import { defineRule, notifyOnly, type RuleBase } from './rule.ts';
import { located } from './distance.ts';
import { evidenceLocation, km, placeName, violation } from './violation.ts';
import { networkLines, reason } from './innocence.ts';

const DAY = 86_400_000;
/** A household is where the account comes back to: days spread over a week at least, not one stay. */
const MIN_SPREAD_DAYS = 7;

const settled = (days: number[], minDays: number) =>
  days.length >= minDays && Math.max(...days) - Math.min(...days) >= MIN_SPREAD_DAYS;

export interface SecondHouseholdSettings extends RuleBase {
  minDistanceKm: number;
  /** Distinct days each place must have been used on, within the window. */
  minDays: number;
  windowMs: number;
}

export const secondHousehold = defineRule<'secondHousehold', SecondHouseholdSettings>({
  id: 'SECOND_HOUSEHOLD',
  settingsKey: 'secondHousehold',
  runsOn: 'recorded',
  actions: ['notify', 'terminate'],
  defaults: { ...notifyOnly, severity: 'HIGH', trustPenalty: 35, minDistanceKm: 150, minDays: 3, windowMs: 30 * DAY },
  parameters: {
    minDistanceKm: { kind: 'number', unit: 'km', min: 1, max: 20_100 },
    minDays: { kind: 'number', unit: 'days', min: 1, max: 365, integer: true },
    windowMs: { kind: 'number', unit: 'days', scale: DAY, min: DAY, max: 365 * DAY },
  },
  evaluate({ state, now, wandering }, s) {
    if (!s.enabled || !now || !located(now) || wandering?.(now) || !now.deviceId) return [];
    // The detector has recorded the observation at its place (places.ts).
    const found = placeAt(state, now);
    if (!found) return [];
    const { key, place } = found;
    const since = Math.floor((now.at - s.windowMs) / DAY);
    if (
      !settled(
        place.days.filter((d) => d > since),
        s.minDays,
      )
    )
      return [];
    const here = new Set(Object.keys(place.devices));
    for (const [otherKey, other] of Object.entries(state.households!)) {
      if (
        otherKey === key ||
        !settled(
          other.days.filter((d) => d > since),
          s.minDays,
        )
      )
        continue;
      const distance = haversineKm(place.latitude, place.longitude, other.latitude, other.longitude);
      if (distance < s.minDistanceKm) continue;
      // The same device at both places is one household moving (travel, a second home).
      if (Object.keys(other.devices).some((d) => here.has(d))) continue;
      const [a, b] = otherKey < key ? [otherKey, key] : [key, otherKey];
      const places = a === otherKey ? [other, place] : [place, other];
      return [
        violation('SECOND_HOUSEHOLD', s, state, {
          detectedAt: now.at,
          sessionKeys: [now.sessionKey],
          summary: `Used from ${placeName(places[0]!.first)} and ${placeName(places[1]!.first)}, ${km(distance)} apart, on ${places[0]!.days.length} and ${places[1]!.days.length} days, with no device in common`,
          idParts: [a, b],
          evidence: {
            locations: places.map((p) => evidenceLocation(p.first)),
            distanceKm: Math.round(distance),
            count: Math.min(places[0]!.days.length, places[1]!.days.length),
            limit: s.minDays,
            windowMs: s.windowMs,
            ips: [...new Set(places.map((p) => p.first.ip))].sort(),
            deviceIds: [...new Set(places.flatMap((p) => Object.keys(p.devices)))].sort(),
          },
        }),
      ];
    }
    return [];
  },
  innocentIf(e, s) {
    return [
      reason(
        'household.oneDevice',
        'Innocent had one device been seen at both places: the household moving between them (travel, a second home)',
      ),
      reason(
        'household.secondHome',
        'A second home with devices of its own: trust its address range or its devices once, and it is no longer compared',
      ),
      reason(
        'household.closer',
        `Innocent had the places been within ${km(s.minDistanceKm)} of each other, or one of them used on fewer than ${s.minDays} days`,
        { distanceKm: s.minDistanceKm, days: s.minDays },
      ),
      ...networkLines(e.locations),
    ];
  },
});
