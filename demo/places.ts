// Where the demo's viewers live: random public addresses the geolocation database places in a
// city, so the map and the rules see real-looking, correctly placed traffic without a list of
// addresses baked into the code.
import type { GeoIp } from '../core/geoip.ts';

export interface Place {
  ip: string;
  countryCode: string;
  city: string;
  latitude: number;
  longitude: number;
}

/** A small deterministic generator, so a demo run with the same seed sees the same world. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4_294_967_296;
  };
}

function randomPublicIp(random: () => number): string {
  for (;;) {
    const a = 1 + Math.floor(random() * 223);
    // Private, loopback, link-local, carrier-grade NAT and multicast blocks place nowhere.
    if (a === 10 || a === 127 || a === 100 || a === 169 || a === 172 || a === 192) continue;
    return [a, Math.floor(random() * 256), Math.floor(random() * 256), 1 + Math.floor(random() * 254)].join('.');
  }
}

/** About `count` places spread over many countries (at most `perCountry` cities each). */
export function samplePlaces(geo: Pick<GeoIp, 'lookup'>, count: number, random: () => number, perCountry = 6): Place[] {
  const byCountry = new Map<string, Place[]>();
  let found = 0;
  for (let tries = 0; tries < count * 400 && found < count; tries++) {
    const ip = randomPublicIp(random);
    const where = geo.lookup(ip);
    if (!where?.city || where.latitude === null || where.longitude === null || !where.countryCode) continue;
    const list = byCountry.get(where.countryCode) ?? [];
    if (list.length >= perCountry || list.some((p) => p.city === where.city)) continue;
    list.push({
      ip,
      countryCode: where.countryCode,
      city: where.city,
      latitude: where.latitude,
      longitude: where.longitude,
    });
    byCountry.set(where.countryCode, list);
    found++;
  }
  return [...byCountry.values()].flat();
}

export function distanceKm(a: Place, b: Place): number {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}
