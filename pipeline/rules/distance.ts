// Distances between observations for the location rules, net of GeoIP's own uncertainty.
import { haversineKm } from '../../core/geo-math.ts';
import type { Observation } from '../account-state.ts';

export type Located = Observation & { geo: { latitude: number; longitude: number } };

export const located = <T extends Observation>(o: T | null | undefined): o is T & Located =>
  o?.geo?.latitude != null && o.geo.longitude != null;

/**
 * Two observations of one known device: one device cannot be in two places, so a distance
 * between them is its address moving (carrier NAT, a VPN), not a person.
 */
export const sameDevice = (a: Observation, b: Observation): boolean => a.deviceId !== '' && a.deviceId === b.deviceId;

/** Distance between two observations less their GeoIP uncertainty (never below 0). */
export function distanceKm(a: Located, b: Located): number {
  const raw = haversineKm(a.geo.latitude, a.geo.longitude, b.geo.latitude, b.geo.longitude);
  return Math.max(0, raw - (a.geo.accuracyRadiusKm ?? 0) - (b.geo.accuracyRadiusKm ?? 0));
}
