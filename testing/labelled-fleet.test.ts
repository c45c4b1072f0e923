// The labelled fleet the detection bench measures with: deterministic, and its labels say what its
// script did.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { GeoIp } from '../core/geoip.ts';
import { haversineKm } from '../core/geo-math.ts';
import { labelledFleet, type LabelledFleet } from './labelled-fleet.ts';

let geo: GeoIp;
let fleet: LabelledFleet;
const digest = (f: LabelledFleet) =>
  createHash('sha256')
    .update(JSON.stringify([f.accounts, f.events.map((e) => [e.eventId, e.eventType, e.observedAt, e.clientIp])]))
    .digest('hex');

beforeAll(async () => {
  geo = await GeoIp.open();
  fleet = labelledFleet(geo, { seed: 7, accounts: 300, days: 14 });
});

describe('the labelled fleet', () => {
  it('is the same fleet for the same seed, another for another seed', () => {
    expect(digest(labelledFleet(geo, { seed: 7, accounts: 300, days: 14 }))).toBe(digest(fleet));
    expect(digest(labelledFleet(geo, { seed: 8, accounts: 300, days: 14 }))).not.toBe(digest(fleet));
  });

  it('labels every shared account with its foreign plays, and no legitimate one', () => {
    const shared = fleet.accounts.filter((a) => a.shared);
    expect(shared.length).toBeGreaterThan(20);
    for (const a of fleet.accounts) {
      if (a.shared) expect(a.foreignSessions.length, a.accountKey).toBeGreaterThan(0);
      else expect(a.foreignSessions, a.accountKey).toEqual([]);
      expect(a.sessions).toEqual(expect.arrayContaining(a.foreignSessions));
    }
  });

  it("plays the script: every event belongs to its account's plays, foreign plays on the sharers' own devices", () => {
    const sessions = new Map(fleet.accounts.flatMap((a) => a.sessions.map((s) => [s, a] as const)));
    const devicesOf = new Map<string, Set<string>>();
    for (const e of fleet.events) {
      expect(sessions.get(e.sessionKey)?.accountKey).toBe(e.accountKey);
      devicesOf.set(e.sessionKey, (devicesOf.get(e.sessionKey) ?? new Set()).add(e.device.deviceId));
    }
    for (const a of fleet.accounts.filter((x) => x.shared && x.kind !== 'noOverlap')) {
      const foreign = new Set(a.foreignSessions.flatMap((s) => [...(devicesOf.get(s) ?? [])]));
      const own = new Set(
        a.sessions.filter((s) => !a.foreignSessions.includes(s)).flatMap((s) => [...(devicesOf.get(s) ?? [])]),
      );
      expect(
        [...foreign].filter((d) => own.has(d)),
        a.accountKey,
      ).toEqual([]);
    }
  });

  it('has the confounders: phones whose address jumps cities within a play, shared VPN exits, late and repeated events', () => {
    const places = new Map<string, Array<{ at: number; lat: number; lon: number }>>();
    for (const e of fleet.events)
      if (e.location?.latitude != null && e.location.longitude != null)
        places.set(e.sessionKey, [
          ...(places.get(e.sessionKey) ?? []),
          { at: e.observedAt, lat: e.location.latitude, lon: e.location.longitude },
        ]);
    const jumpy = fleet.accounts
      .filter((a) => a.kind === 'mobile')
      .filter((a) =>
        a.sessions.some((s) => {
          const p = places.get(s) ?? [];
          return p.some((x, i) => i > 0 && haversineKm(p[i - 1]!.lat, p[i - 1]!.lon, x.lat, x.lon) > 100);
        }),
      );
    expect(jumpy.length).toBeGreaterThan(10);
    const vpnAddresses = new Map<string, Set<string>>();
    const vpn = new Set(fleet.accounts.filter((a) => a.kind === 'vpn').map((a) => a.accountKey));
    for (const e of fleet.events)
      if (vpn.has(e.accountKey))
        vpnAddresses.set(e.clientIp, (vpnAddresses.get(e.clientIp) ?? new Set()).add(e.accountKey));
    expect(Math.max(...[...vpnAddresses.values()].map((s) => s.size))).toBeGreaterThan(3);
    const ids = fleet.events.map((e) => e.eventId);
    expect(new Set(ids).size).toBeLessThan(ids.length);
    expect(fleet.events.some((e, i) => i > 0 && e.observedAt < fleet.events[i - 1]!.observedAt)).toBe(true);
  });
});
