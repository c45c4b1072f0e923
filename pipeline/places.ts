// The places an account is used from (a place: within 50 km of where it was first seen), with the
// days and devices seen at each. Two devices seen at one place belong to one household: when they
// are later far apart, that is two members of it apart (one at a second home, on a trip, on a VPN),
// not a second person. A sharer's devices are never at the owner's place. The detector keeps
// this model whatever rules are enabled; the location rules and the second household rule read it.
import { haversineKm } from '../core/geo-math.ts';
import type { AccountState, Household, Observation } from './account-state.ts';
import type { Located } from './rules/distance.ts';

const DAY = 86_400_000;
const PLACE_RADIUS_KM = 50;
const MAX_PLACES = 8;

const within = (place: Household, now: Located) =>
  haversineKm(place.latitude, place.longitude, now.geo.latitude, now.geo.longitude) <= PLACE_RADIUS_KM;

/** The known place `now` is at, if any (the account's last place first: it usually is there). */
export function placeAt(state: AccountState, now: Located): { key: string; place: Household } | null {
  const places = state.households;
  if (!places) return null;
  const last = state.lastPlace === undefined ? undefined : places[state.lastPlace];
  if (last && within(last, now)) return { key: state.lastPlace!, place: last };
  for (const key in places) if (within(places[key]!, now)) return { key, place: places[key]! };
  return null;
}

/** The place `now` is at, created when new (the least used place makes room: a household has a handful). */
function placeFor(state: AccountState, now: Located): { key: string; place: Household } {
  const known = placeAt(state, now);
  if (known) return known;
  const places = (state.households ??= {});
  const key = `${now.geo.latitude.toFixed(2)},${now.geo.longitude.toFixed(2)}`;
  places[key] = { latitude: now.geo.latitude, longitude: now.geo.longitude, first: now, days: [], devices: {} };
  const keys = Object.keys(places);
  if (keys.length > MAX_PLACES) {
    const least = keys.filter((k) => k !== key).sort((a, b) => places[a]!.days.length - places[b]!.days.length)[0]!;
    delete places[least];
  }
  return { key, place: places[key]! };
}

/** Records `now` at its place (its day and device); days older than `windowMs` are forgotten. */
export function recordPlace(state: AccountState, now: Located, windowMs: number): { key: string; place: Household } {
  const found = placeFor(state, now);
  state.lastPlace = found.key;
  const today = Math.floor(now.at / DAY);
  // The days change only on a new day: the window is trimmed then (not on every event).
  if (!found.place.days.includes(today)) {
    const since = Math.floor((now.at - windowMs) / DAY);
    found.place.days = [...found.place.days.filter((d) => d > since), today];
  }
  if (now.deviceId) found.place.devices[now.deviceId] = now.at;
  return found;
}

/**
 * Whether two observations' devices were both seen at one place within `windowMs` before the later
 * one: two members of one household, wherever each is now.
 */
export function oneHousehold(state: AccountState, a: Observation, b: Observation, windowMs: number): boolean {
  if (!a.deviceId || !b.deviceId || a.deviceId === b.deviceId) return false;
  const since = Math.max(a.at, b.at) - windowMs;
  for (const place of Object.values(state.households ?? {})) {
    const seenA = place.devices[a.deviceId];
    const seenB = place.devices[b.deviceId];
    if (seenA !== undefined && seenB !== undefined && seenA >= since && seenB >= since) return true;
  }
  return false;
}
