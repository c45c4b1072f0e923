// Rules about where an account is: impossible travel, simultaneous locations, geo restriction.
import type { Violation } from '../../schemas/index.ts';
import type { AccountState, Observation } from '../account-state.ts';
import { haversineKm } from '../../core/geo-math.ts';
import type { RuleSettings } from './settings.ts';
import { duration, evidenceLocation, km, placeName, violation } from './violation.ts';

const located = (
  o: Observation | null | undefined,
): o is Observation & { geo: { latitude: number; longitude: number } } =>
  o?.geo?.latitude != null && o.geo.longitude != null;

/** Distance between two observations less their GeoIP uncertainty (never below 0). */
function distanceKm(a: Observation, b: Observation): number {
  const raw = haversineKm(a.geo!.latitude!, a.geo!.longitude!, b.geo!.latitude!, b.geo!.longitude!);
  return Math.max(0, raw - (a.geo!.accuracyRadiusKm ?? 0) - (b.geo!.accuracyRadiusKm ?? 0));
}

/**
 * From the last place the account was seen to this one faster than anyone travels. Only the same
 * session (a change of address) or a session that has ended counts: two sessions playing at once
 * in different places are one incident, which simultaneousLocations reports.
 */
export function impossibleTravel(
  state: AccountState,
  now: Observation,
  s: RuleSettings['impossibleTravel'],
): Violation[] {
  const before = state.lastLocated;
  if (!s.enabled || !located(now) || !located(before) || before.ip === now.ip) return [];
  if (before.sessionKey !== now.sessionKey && state.active[before.sessionKey]) return [];
  const distance = distanceKm(before, now);
  if (distance < s.minDistanceKm) return [];
  // A minute at least: two reports in the same poll are not an infinite speed.
  const elapsed = Math.max(now.at - before.at, 60_000);
  const speed = distance / (elapsed / 3_600_000);
  if (speed <= s.maxSpeedKmh) return [];
  return [
    violation('IMPOSSIBLE_TRAVEL', s, state, {
      detectedAt: now.at,
      sessionKeys: [before.sessionKey, now.sessionKey],
      summary: `${placeName(before)} -> ${placeName(now)}, ${km(distance)} in ${duration(elapsed)} = ${Math.round(speed).toLocaleString('en-US')} km/h`,
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
}

/**
 * Sessions of the account playing at the same time from places far apart. One violation per set of
 * conflicting sessions (identified by the set, so observing the same sessions again adds nothing);
 * a further far-away session makes a new set.
 */
export function simultaneousLocations(
  state: AccountState,
  now: Observation,
  s: RuleSettings['simultaneousLocations'],
  trusted: (o: Observation) => boolean,
): Violation[] {
  if (!s.enabled || !located(now)) return [];
  const conflicts = Object.values(state.active).filter(
    (other) =>
      other.sessionKey !== now.sessionKey &&
      other.ip !== now.ip &&
      located(other) &&
      !trusted(other) &&
      distanceKm(other, now) > s.minDistanceKm,
  );
  if (conflicts.length === 0) return [];
  const sessions = [...conflicts, now].sort((x, y) => (x.sessionKey < y.sessionKey ? -1 : 1));
  const farthest = Math.max(...conflicts.map((other) => distanceKm(other, now)));
  const places = [...new Set(sessions.map(placeName))];
  return [
    violation('SIMULTANEOUS_LOCATIONS', s, state, {
      detectedAt: now.at,
      sessionKeys: sessions.map((o) => o.sessionKey),
      summary: `Playing in ${places.slice(0, -1).join(', ')} and ${places[places.length - 1]} at once, ${conflicts.length === 1 ? '' : 'up to '}${km(farthest)} apart`,
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
}

/** A session from a denied country, or from outside the allowed ones. */
export function geoRestriction(state: AccountState, now: Observation, s: RuleSettings['geoRestriction']): Violation[] {
  const country = now.geo?.countryCode;
  if (!s.enabled || !country) return [];
  const denied =
    s.denyCountries.includes(country) || (s.allowCountries.length > 0 && !s.allowCountries.includes(country));
  if (!denied) return [];
  return [
    violation('GEO_RESTRICTION', s, state, {
      detectedAt: now.at,
      sessionKeys: [now.sessionKey],
      summary: `Playing from ${placeName(now)} (${country}), ${s.denyCountries.includes(country) ? 'a denied country' : 'outside the allowed countries'}`,
      idParts: [now.sessionKey, country],
      evidence: { locations: [evidenceLocation(now)], countryCode: country, ips: [now.ip], deviceIds: [now.deviceId] },
    }),
  ];
}
