import { describe, expect, it } from 'vitest';
import type { PlaybackEvent } from '../schemas/index.ts';
import { samplePlaybackEvent } from '../testing/fixtures.ts';
import type { AccountState } from './account-state.ts';
import { Detector, type Findings } from './detector.ts';
import type { GeoLocation } from '../core/geoip.ts';
import { haversineKm } from '../core/geo-math.ts';
import { DEFAULT_RULES, settingsFor, type RuleOverrides } from './rules/settings.ts';

const T0 = Date.UTC(2026, 10, 1, 20, 0, 0);
const MIN = 60_000;
const place = (
  city: string,
  countryCode: string,
  latitude: number,
  longitude: number,
  accuracyRadiusKm: number | null = null,
): GeoLocation => ({ city, countryCode, region: null, latitude, longitude, accuracyRadiusKm });
const BOSTON = place('Boston', 'US', 42.3601, -71.0589);
const LONDON = place('London', 'GB', 51.5072, -0.1276);
const NEW_YORK = place('New York', 'US', 40.7128, -74.006);
const CAMBRIDGE = place('Cambridge', 'US', 42.3736, -71.1097);

interface Step {
  at: number;
  session: string;
  ip: string;
  geo: GeoLocation | null;
  type?: PlaybackEvent['eventType'];
  lan?: boolean;
  device?: string;
}

function run(
  steps: Step[],
  overrides: RuleOverrides = {},
): { findings: Findings; state: AccountState; detector: Detector } {
  const detector = new Detector(settingsFor(DEFAULT_RULES, overrides));
  let state: AccountState | undefined;
  const findings: Findings = { violations: [], trustChanges: [] };
  for (const step of steps) {
    const event = samplePlaybackEvent({
      observedAt: step.at,
      sessionKey: step.session,
      clientIp: step.ip,
      eventType: step.type ?? 'PROGRESS',
      networkLocation: step.lan ? 'LAN' : 'WAN',
      device: { ...samplePlaybackEvent().device, deviceId: step.device ?? `dev-${step.session}` },
    });
    state ??= Detector.stateFor(event);
    const out = detector.observe(state, event, step.geo);
    findings.violations.push(...out.violations);
    findings.trustChanges.push(...out.trustChanges);
  }
  return { findings, state: state!, detector };
}

const rules = (f: Findings) => f.violations.map((v) => v.rule);

/** Plays in one place, stops, and plays again from another place `minutes` later. */
function hop(from: GeoLocation, to: GeoLocation, minutes: number, toIp = '198.51.100.2'): Step[] {
  return [
    { at: T0, session: 'a', ip: '198.51.100.1', geo: from },
    { at: T0 + 30_000, session: 'a', ip: '198.51.100.1', geo: from, type: 'STOPPED' },
    { at: T0 + minutes * MIN, session: 'b', ip: toIp, geo: to },
  ];
}

describe('impossible travel', () => {
  it('flags Boston -> London in 30 minutes with its evidence', () => {
    const { findings } = run([
      { at: T0, session: 'a', ip: '198.51.100.1', geo: BOSTON },
      { at: T0 + MIN, session: 'a', ip: '198.51.100.1', geo: BOSTON, type: 'STOPPED' },
      { at: T0 + 31 * MIN, session: 'b', ip: '203.0.113.1', geo: LONDON },
    ]);
    expect(rules(findings)).toEqual(['IMPOSSIBLE_TRAVEL']);
    const v = findings.violations[0]!;
    expect(v.evidence.distanceKm).toBe(Math.round(haversineKm(42.3601, -71.0589, 51.5072, -0.1276)));
    expect(v.evidence.distanceKm).toBeGreaterThan(5200);
    expect(v.evidence.speedKmh).toBe(Math.round(haversineKm(42.3601, -71.0589, 51.5072, -0.1276) * 2));
    expect(v.summary).toBe(
      `Boston -> London, ${v.evidence.distanceKm!.toLocaleString('en-US')} km in 30 min = ${v.evidence.speedKmh!.toLocaleString('en-US')} km/h`,
    );
    expect(v.sessionKeys).toEqual(['a', 'b']);
    expect(v.evidence.locations.map((l) => l.city)).toEqual(['Boston', 'London']);
    expect(v.severity).toBe('HIGH');
  });

  it('stays quiet just below the speed and fires just above it', () => {
    // Boston -> New York is about 306 km: 1000 km/h is 18.4 minutes.
    const distance = haversineKm(42.3601, -71.0589, 40.7128, -74.006);
    const minutesAt1000 = (distance / 1000) * 60;
    const slow = run(hop(BOSTON, NEW_YORK, Math.ceil(minutesAt1000 + 0.5)));
    const fast = run(hop(BOSTON, NEW_YORK, Math.floor(minutesAt1000 - 0.5)));
    expect(rules(slow.findings)).toEqual([]);
    expect(rules(fast.findings)).toEqual(['IMPOSSIBLE_TRAVEL']);
  });

  it("takes one device's address jumping for its address moving, not a person: no travel, and its places stop counting", () => {
    // A phone on carrier NAT, or a VPN switched on: Boston, then London 30 minutes later, same device.
    const { findings, state } = run([
      { at: T0, session: 'a', ip: '198.51.100.1', geo: BOSTON },
      { at: T0 + 30 * MIN, session: 'a', ip: '203.0.113.1', geo: LONDON },
    ]);
    expect(rules(findings)).toEqual([]);
    expect(Object.keys(state.wandering ?? {})).toEqual(['dev-a']);
    // While it wanders, another device far from its latest place is no evidence either.
    expect(
      rules(
        run([
          { at: T0, session: 'a', ip: '198.51.100.1', geo: BOSTON },
          { at: T0 + 30 * MIN, session: 'a', ip: '203.0.113.1', geo: LONDON },
          { at: T0 + 35 * MIN, session: 'b', ip: '198.51.100.9', geo: BOSTON },
        ]).findings,
      ),
    ).toEqual([]);
  });

  it('takes a device moving onto a VPN exit or a carrier gateway for its address moving, however slowly', () => {
    const networks = {
      lookup: (ip: string) =>
        ip.startsWith('203.0.113.')
          ? { asn: 9009, organization: 'M247 Europe SRL', type: 'hosting' as const }
          : { asn: 3320, organization: 'Deutsche Telekom AG', type: 'access' as const },
    };
    const detector = new Detector(DEFAULT_RULES, networks);
    const event = (at: number, session: string, ip: string, device: string) =>
      samplePlaybackEvent({
        observedAt: at,
        sessionKey: session,
        clientIp: ip,
        eventType: 'PROGRESS',
        device: { ...samplePlaybackEvent().device, deviceId: device },
      });
    const state = Detector.stateFor(event(T0, 'tv', '198.51.100.1', 'tv'));
    const found = [
      // The tablet at home in Boston, then three hours later on a VPN exit placed in London,
      // while the TV plays at home: not two people in two places.
      detector.observe(state, event(T0, 'tablet-1', '198.51.100.2', 'tablet'), BOSTON),
      detector.observe(state, event(T0 + 3 * 60 * MIN, 'tv', '198.51.100.1', 'tv'), BOSTON),
      detector.observe(state, event(T0 + 3 * 60 * MIN + MIN, 'tablet-2', '203.0.113.5', 'tablet'), LONDON),
    ].flatMap((f) => f.violations.map((v) => v.rule));
    expect(found).toEqual([]);
    expect(Object.keys(state.wandering ?? {})).toEqual(['tablet']);
    // Evidence names each address's network, and says what would have made it innocent.
    const flagged = Detector.stateFor(event(T0, 'tv', '198.51.100.1', 'tv'));
    detector.observe(flagged, event(T0, 'tv', '198.51.100.1', 'tv'), BOSTON);
    const [v] = detector.observe(flagged, event(T0 + MIN, 'their-tv', '198.51.100.9', 'their-tv'), LONDON).violations;
    expect(v!.rule).toBe('SIMULTANEOUS_LOCATIONS');
    expect(v!.evidence.locations.map((l) => [l.asn, l.network, l.networkType])).toEqual([
      [3320, 'Deutsche Telekom AG', 'access'],
      [3320, 'Deutsche Telekom AG', 'access'],
    ]);
    expect(v!.evidence.innocentIf).toEqual([
      'Innocent had the places been within 100 km of each other',
      'Innocent if Living Room TV (their-tv) and Living Room TV (tv) belong to one household: once each has played at one place (the home) within 30 days, they are no longer compared; or trust a device',
      'Every address is on the same network, AS3320 (Deutsche Telekom AG): if this operator places its addresses loosely, the places may be one; trust its range if so',
    ]);
    // The same lines as codes with their figures, one for one, for readers in another language.
    expect(v!.evidence.innocentReasons).toEqual([
      { code: 'simultaneous.closer', params: { distanceKm: '100' } },
      {
        code: 'household.devices',
        params: { devices: 'Living Room TV (their-tv)\nLiving Room TV (tv)', windowMs: String(30 * 86_400_000) },
      },
      { code: 'network.same', params: { network: 'AS3320 (Deutsche Telekom AG)' } },
    ]);
    // The household window in the line is the install's, not a fixed 30 days.
    const week = new Detector(settingsFor(DEFAULT_RULES, { secondHousehold: { windowMs: 7 * 86_400_000 } }), networks);
    const weekly = Detector.stateFor(event(T0, 'tv', '198.51.100.1', 'tv'));
    week.observe(weekly, event(T0, 'tv', '198.51.100.1', 'tv'), BOSTON);
    const [w] = week.observe(weekly, event(T0 + MIN, 'their-tv', '198.51.100.9', 'their-tv'), LONDON).violations;
    expect(w!.evidence.innocentIf[1]).toContain('(the home) within 7 days, they are no longer compared');
    // A device whose first play is on a VPN exit: its place is no evidence from the start.
    const fresh = Detector.stateFor(event(T0, 'tv', '198.51.100.1', 'tv'));
    const first = [
      detector.observe(fresh, event(T0, 'tv', '198.51.100.1', 'tv'), BOSTON),
      detector.observe(fresh, event(T0 + MIN, 'laptop-1', '203.0.113.5', 'laptop'), LONDON),
    ].flatMap((f) => f.violations.map((v) => v.rule));
    expect(first).toEqual([]);
    expect(Object.keys(fresh.wandering ?? {})).toEqual(['laptop']);
    // Without network data the same London address on another device is a second place.
    const blind = new Detector(DEFAULT_RULES);
    const other = Detector.stateFor(event(T0, 'tv', '198.51.100.1', 'tv'));
    blind.observe(other, event(T0 + 3 * 60 * MIN, 'tv', '198.51.100.1', 'tv'), BOSTON);
    expect(
      blind
        .observe(other, event(T0 + 3 * 60 * MIN + MIN, 'laptop', '203.0.113.5', 'laptop'), LONDON)
        .violations.map((v) => v.rule),
    ).toContain('SIMULTANEOUS_LOCATIONS');
  });

  it('finds a second household: another place, far away, used on days over weeks from devices never seen at home', () => {
    const detector = new Detector(DEFAULT_RULES);
    const event = (day: number, session: string, ip: string, device: string) =>
      samplePlaybackEvent({
        observedAt: T0 + day * 86_400_000,
        sessionKey: session,
        clientIp: ip,
        eventType: 'PROGRESS',
        device: { ...samplePlaybackEvent().device, deviceId: device },
      });
    const state = Detector.stateFor(event(0, 'h0', '198.51.100.1', 'tv'));
    const found: string[] = [];
    // Home in Boston every evening; someone else in London on days 1, 5, 9 and 12, never at the same time.
    for (let day = 0; day < 14; day++) {
      found.push(
        ...detector.observe(state, event(day, `h${day}`, '198.51.100.1', 'tv'), BOSTON).violations.map((v) => v.rule),
      );
      if ([1, 5, 9, 12].includes(day))
        found.push(
          ...detector
            .observe(
              state,
              {
                ...event(day, `l${day}`, '203.0.113.7', 'their-tv'),
                observedAt: T0 + day * 86_400_000 + 6 * 3_600_000,
              },
              LONDON,
            )
            .violations.map((v) => v.rule),
        );
    }
    expect(found).toEqual(['SECOND_HOUSEHOLD']);
    // One stay of a few days is a trip; the household's own device at both places is the household moving.
    const trip = Detector.stateFor(event(0, 'h0', '198.51.100.1', 'tv'));
    const tripFound: string[] = [];
    for (let day = 0; day < 14; day++) {
      tripFound.push(
        ...detector.observe(trip, event(day, `h${day}`, '198.51.100.1', 'tv'), BOSTON).violations.map((v) => v.rule),
      );
      if (day >= 3 && day <= 7)
        tripFound.push(
          ...detector
            .observe(
              trip,
              { ...event(day, `t${day}`, '203.0.113.7', 'laptop'), observedAt: T0 + day * 86_400_000 + 6 * 3_600_000 },
              LONDON,
            )
            .violations.map((v) => v.rule),
        );
    }
    expect(tripFound).not.toContain('SECOND_HOUSEHOLD');
  });

  it('takes two devices of one household far apart for two members of it, not travel or a second place', () => {
    // The tablet and the TV both played at home in Boston; a week later the tablet plays in
    // London (a second home, a trip) while the TV plays at home.
    const day = 86_400_000;
    const household: Step[] = [
      { at: T0, session: 'tv-1', ip: '198.51.100.1', geo: BOSTON, device: 'tv' },
      { at: T0 + 5 * MIN, session: 'tablet-1', ip: '198.51.100.1', geo: BOSTON, device: 'tablet' },
      { at: T0 + 7 * day, session: 'tv-2', ip: '198.51.100.1', geo: BOSTON, device: 'tv' },
      { at: T0 + 7 * day + MIN, session: 'tablet-2', ip: '203.0.113.1', geo: LONDON, device: 'tablet' },
      {
        at: T0 + 7 * day + 2 * MIN,
        session: 'tablet-2',
        ip: '203.0.113.1',
        geo: LONDON,
        device: 'tablet',
        type: 'STOPPED',
      },
      { at: T0 + 7 * day + 3 * MIN, session: 'tv-3', ip: '198.51.100.1', geo: BOSTON, device: 'tv' },
    ];
    expect(rules(run(household).findings)).toEqual([]);
    // A device never seen at the household's place is someone else's: the same plays are flagged.
    const stranger = household.map((s) => (s.session === 'tablet-2' ? { ...s, device: 'their-tablet' } : s));
    expect(rules(run(stranger).findings)).toEqual(['SIMULTANEOUS_LOCATIONS', 'IMPOSSIBLE_TRAVEL']);
    // Seen together more than the household window ago (30 days) no longer links them.
    const stale = household.map((s) => (s.at >= T0 + 7 * day ? { ...s, at: s.at + 30 * day } : s));
    expect(rules(run(stale).findings)).toEqual(['SIMULTANEOUS_LOCATIONS', 'IMPOSSIBLE_TRAVEL']);
  });

  it('counts a change of address between two devices as travel', () => {
    expect(
      rules(
        run([
          { at: T0, session: 'a', ip: '198.51.100.1', geo: BOSTON },
          { at: T0 + 30 * MIN, session: 'a', ip: '198.51.100.1', geo: BOSTON, type: 'STOPPED' },
          { at: T0 + 60 * MIN, session: 'b', ip: '203.0.113.1', geo: LONDON },
        ]).findings,
      ),
    ).toEqual(['IMPOSSIBLE_TRAVEL']);
  });

  it('ignores hops under the distance floor and within GeoIP uncertainty', () => {
    expect(rules(run(hop(BOSTON, CAMBRIDGE, 1)).findings)).toEqual([]);
    expect(rules(run(hop(BOSTON, NEW_YORK, 1)).findings)).toEqual(['IMPOSSIBLE_TRAVEL']);
    expect(
      rules(run(hop({ ...BOSTON, accuracyRadiusKm: 200 }, { ...NEW_YORK, accuracyRadiusKm: 200 }, 1)).findings),
    ).toEqual([]);
  });

  it('never uses LAN sessions or unknown places as a location', () => {
    const lan = hop(BOSTON, LONDON, 1, '192.168.1.5');
    lan[2]!.lan = true;
    expect(rules(run(lan).findings)).toEqual([]);
    expect(rules(run(hop(BOSTON, LONDON, 1).map((s, i) => (i === 2 ? { ...s, geo: null } : s))).findings)).toEqual([]);
  });

  it('spares trusted ranges and trusted devices', () => {
    const steps = hop(BOSTON, LONDON, 30, '203.0.113.1').map((s, i) => (i === 2 ? { ...s, device: 'laptop-1' } : s));
    expect(rules(run(steps, { exemptions: { trustedCidrs: ['203.0.113.0/24'] } }).findings)).toEqual([]);
    expect(rules(run(steps, { exemptions: { trustedDeviceIds: ['laptop-1'] } }).findings)).toEqual([]);
  });
});

describe('simultaneous locations', () => {
  it('flags two sessions playing at once in cities far apart, once, and not as travel too', () => {
    const { findings } = run([
      { at: T0, session: 'a', ip: '198.51.100.1', geo: BOSTON },
      { at: T0 + 5 * MIN, session: 'b', ip: '198.51.100.2', geo: NEW_YORK },
      { at: T0 + 6 * MIN, session: 'a', ip: '198.51.100.1', geo: BOSTON },
      { at: T0 + 7 * MIN, session: 'b', ip: '198.51.100.2', geo: NEW_YORK },
    ]);
    expect(rules(findings)).toEqual(['SIMULTANEOUS_LOCATIONS']);
    expect(findings.violations[0]!.summary).toMatch(/^Playing in Boston and New York at once, 30\d km apart$/);
  });

  it('reports a third far-away session as one more violation naming every place, not one per pair', () => {
    const { findings } = run([
      { at: T0, session: 'a', ip: '198.51.100.1', geo: BOSTON },
      { at: T0 + MIN, session: 'b', ip: '203.0.113.1', geo: LONDON },
      { at: T0 + 2 * MIN, session: 'c', ip: '198.51.100.3', geo: NEW_YORK },
      { at: T0 + 3 * MIN, session: 'a', ip: '198.51.100.1', geo: BOSTON },
      { at: T0 + 4 * MIN, session: 'b', ip: '203.0.113.1', geo: LONDON },
    ]);
    expect(findings.violations.map((v) => [v.rule, v.sessionKeys.join(',')])).toEqual([
      ['SIMULTANEOUS_LOCATIONS', 'a,b'],
      ['SIMULTANEOUS_LOCATIONS', 'a,b,c'],
    ]);
    expect(findings.violations[1]!.summary).toMatch(
      /^Playing in Boston, London and New York at once, up to 5,5\d\d km apart$/,
    );
  });

  it('does not flag neighbouring places or a session that already stopped', () => {
    expect(
      rules(
        run([
          { at: T0, session: 'a', ip: '198.51.100.1', geo: BOSTON },
          { at: T0 + MIN, session: 'b', ip: '198.51.100.2', geo: CAMBRIDGE },
        ]).findings,
      ),
    ).toEqual([]);
    const stopped = run(
      [
        { at: T0, session: 'a', ip: '198.51.100.1', geo: BOSTON },
        { at: T0 + MIN, session: 'a', ip: '198.51.100.1', geo: BOSTON, type: 'STOPPED' },
        { at: T0 + 3 * 3_600_000, session: 'b', ip: '198.51.100.2', geo: NEW_YORK },
      ],
      { impossibleTravel: { enabled: false } },
    );
    expect(rules(stopped.findings)).toEqual([]);
  });
});

describe('device velocity', () => {
  const ips = (n: number, start = 0, spacing = 3_600_000) =>
    Array.from({ length: n }, (_, i) => ({
      at: T0 + (start + i) * spacing,
      session: `s${start + i}`,
      ip: `198.51.100.${start + i + 1}`,
      geo: null,
      type: 'STARTED' as const,
    }));

  it('allows the limit, flags the first address over it, and only once while over', () => {
    expect(rules(run(ips(5)).findings)).toEqual([]);
    const over = run(ips(7));
    expect(rules(over.findings)).toEqual(['DEVICE_VELOCITY']);
    expect(over.findings.violations[0]!.evidence).toMatchObject({ count: 6, limit: 5, windowMs: 86_400_000 });
    expect(over.findings.violations[0]!.summary).toBe('6 addresses in 24 h (limit 5)');
  });

  it('forgets addresses older than the window and can fire again later', () => {
    const later = run([...ips(6), ...ips(6, 100)]);
    expect(rules(later.findings)).toEqual(['DEVICE_VELOCITY', 'DEVICE_VELOCITY']);
    expect(new Set(later.findings.violations.map((v) => v.violationId)).size).toBe(2);
  });

  it('does not count LAN addresses', () => {
    expect(
      rules(
        run(ips(8).map((s) => ({ ...s, ip: s.ip.replace('198.51.100', '192.168.1'), lan: true, device: 'tv' })))
          .findings,
      ),
    ).toEqual([]);
    expect(rules(run(ips(8).map((s) => ({ ...s, device: 'tv' }))).findings)).toEqual(['DEVICE_VELOCITY']);
  });
});

describe('concurrent streams', () => {
  const streams = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      at: T0 + i * 1000,
      session: `s${i}`,
      ip: '198.51.100.1',
      geo: null,
      type: 'STARTED' as const,
    }));

  it('allows the limit and flags the stream over it, with the sessions as evidence', () => {
    expect(rules(run(streams(3)).findings)).toEqual([]);
    const over = run(streams(4));
    expect(rules(over.findings)).toEqual(['CONCURRENT_STREAMS']);
    expect(over.findings.violations[0]!.sessionKeys).toEqual(['s0', 's1', 's2', 's3']);
    expect(over.findings.violations[0]!.summary).toBe('4 streams at once (limit 3)');
  });

  it('fires again only after going back under the limit', () => {
    const steps = [
      ...streams(4),
      { at: T0 + 10_000, session: 's0', ip: '198.51.100.1', geo: null, type: 'STOPPED' as const },
      { at: T0 + 20_000, session: 's9', ip: '198.51.100.1', geo: null, type: 'STARTED' as const },
    ];
    expect(rules(run(steps).findings)).toEqual(['CONCURRENT_STREAMS', 'CONCURRENT_STREAMS']);
  });

  it('honours a per-account limit', () => {
    expect(rules(run(streams(4), { concurrentStreams: { maxStreams: 4 } }).findings)).toEqual([]);
  });
});

describe('geo restriction', () => {
  it('flags denied countries and countries outside an allow list', () => {
    expect(
      rules(
        run([{ at: T0, session: 'a', ip: '203.0.113.1', geo: LONDON }], { geoRestriction: { denyCountries: ['GB'] } })
          .findings,
      ),
    ).toEqual(['GEO_RESTRICTION']);
    expect(
      rules(
        run([{ at: T0, session: 'a', ip: '203.0.113.1', geo: LONDON }], {
          geoRestriction: { allowCountries: ['US', 'CA'] },
        }).findings,
      ),
    ).toEqual(['GEO_RESTRICTION']);
    expect(
      rules(
        run([{ at: T0, session: 'a', ip: '198.51.100.1', geo: BOSTON }], {
          geoRestriction: { allowCountries: ['US', 'CA'] },
        }).findings,
      ),
    ).toEqual([]);
    expect(
      rules(
        run([{ at: T0, session: 'a', ip: '192.168.1.2', geo: LONDON, lan: true }], {
          geoRestriction: { denyCountries: ['GB'] },
        }).findings,
      ),
    ).toEqual([]);
  });
});

describe('account inactivity', () => {
  it('flags an account idle past the limit, once', () => {
    const { state, detector } = run([{ at: T0, session: 'a', ip: '198.51.100.1', geo: null }]);
    expect(detector.checkInactivity(state, T0 + 89 * 86_400_000).violations).toEqual([]);
    const idle = detector.checkInactivity(state, T0 + 91 * 86_400_000);
    expect(idle.violations.map((v) => [v.rule, v.summary])).toEqual([
      ['ACCOUNT_INACTIVITY', 'No playback for 91 days (limit 90)'],
    ]);
    expect(detector.checkInactivity(state, T0 + 92 * 86_400_000).violations).toEqual([]);
  });
});

describe('trust score', () => {
  it('loses each rule penalty, never goes below 0, and recovers with clean days up to 100', () => {
    const steps: Step[] = [];
    for (let i = 0; i < 8; i++)
      steps.push(
        { at: T0 + i * 2 * 3_600_000, session: `a${i}`, ip: '198.51.100.1', geo: BOSTON },
        { at: T0 + i * 2 * 3_600_000 + 30 * MIN, session: `b${i}`, ip: `203.0.113.${i + 1}`, geo: LONDON },
      );
    const { findings, state } = run(steps, {
      deviceVelocity: { enabled: false },
      simultaneousLocations: { enabled: false },
      concurrentStreams: { enabled: false },
    });
    const scores = findings.trustChanges.map((c) => c.newScore);
    expect(scores[0]).toBe(80);
    expect(Math.min(...scores)).toBe(0);
    expect(
      findings.trustChanges.every((c) => c.reason === 'VIOLATION' && c.delta === c.newScore - c.previousScore),
    ).toBe(true);
    const detector = new Detector(DEFAULT_RULES);
    const later = detector.observe(
      state,
      samplePlaybackEvent({
        observedAt: state.trust.recoveredThrough + 3 * 86_400_000 + MIN,
        clientIp: '198.51.100.1',
      }),
      BOSTON,
    );
    expect(later.trustChanges).toEqual([
      expect.objectContaining({ reason: 'RECOVERY', previousScore: 0, newScore: 6, note: '3 clean days' }),
    ]);
  });

  it('gives the same findings for the same events: replays raise nothing new', () => {
    const steps = hop(BOSTON, LONDON, 30, '203.0.113.1');
    const first = run(steps);
    const second = run(steps);
    expect(second.findings).toEqual(first.findings);
    const detector = new Detector(DEFAULT_RULES);
    const again = detector.observe(
      first.state,
      samplePlaybackEvent({ observedAt: T0 + 30 * MIN, sessionKey: 'b', clientIp: '203.0.113.1' }),
      LONDON,
    );
    expect(again.violations).toEqual([]);
  });
});
