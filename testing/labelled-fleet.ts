// A labelled fleet for measuring account-sharing detection: thousands of accounts over weeks of
// viewing, each labelled with the truth (legitimate or shared, and for a shared one which plays
// are the foreign user's), with what real operators see besides sharing: phones on carrier NAT
// whose addresses geolocate to other cities minutes apart, VPN and cloud exits, trains and
// flights, households with many devices, second homes, a household member away while the others
// watch at home, addresses placed only to a country, clock skew between servers, late and
// duplicated events. Sharers: a friend in another city, family abroad, resold accounts, and a
// sharer who never watches when the owner does.
//
// Seeded and deterministic. Addresses are real ones, placed by the GeoIP database given (the
// bundled DB-IP Lite): the fleet samples one address per /16 and groups them by city. Given the
// network data (core/networks.ts), homes are on access networks, VPN exits on hosting networks
// and phones on mobile carriers' networks, as in life; without it, any address stands for each.
import { createHash } from 'node:crypto';
import type { GeoLocation, GeoLookup } from '../core/geoip.ts';
import type { NetworkLookup } from '../core/networks.ts';
import { haversineKm as distanceKm } from '../core/geo-math.ts';
import type { PlaybackEvent } from '../schemas/index.ts';
import { samplePlaybackEvent } from './fixtures.ts';
import { rng } from './history.ts';

const LEGITIMATE_KINDS = {
  home: 0.35,
  household: 0.15,
  mobile: 0.12,
  vpn: 0.08,
  traveller: 0.08,
  secondHome: 0.04,
  splitHousehold: 0.03,
} as const;
const SHARED_KINDS = { friend: 0.05, familyAbroad: 0.04, resold: 0.02, noOverlap: 0.04 } as const;
type AccountKind = keyof typeof LEGITIMATE_KINDS | keyof typeof SHARED_KINDS;

interface LabelledAccount {
  accountKey: string;
  kind: AccountKind;
  shared: boolean;
  /** Plays by someone other than the account's household (empty for a legitimate account). */
  foreignSessions: string[];
  sessions: string[];
}

export interface LabelledFleet {
  accounts: LabelledAccount[];
  /** Events in the order they reach the processor (late ones after later ones, some twice). */
  events: PlaybackEvent[];
  from: number;
  days: number;
}

interface Address {
  ip: string;
  geo: GeoLocation;
}
interface City {
  key: string;
  countryCode: string;
  addresses: Address[];
  lat: number;
  lon: number;
}

const DAY = 86_400_000;
const MIN = 60_000;
const PROGRESS_MS = 5 * MIN;

/** Cities with the addresses DB-IP places there: one address per public /16, grouped. */
function addressBook(geo: GeoLookup, random: () => number, networks?: NetworkLookup) {
  const cities = new Map<string, City>();
  const countryOnly = new Map<string, Address[]>();
  const hosting: Address[] = [];
  const mobile = new Map<string, Address[]>();
  for (let a = 1; a < 224; a++) {
    if (a === 10 || a === 127 || a === 100 || a === 169 || a === 172 || a === 192) continue;
    for (let b = 0; b < 256; b++) {
      const ip = `${a}.${b}.${1 + Math.floor(random() * 250)}.${1 + Math.floor(random() * 250)}`;
      const g = geo.lookup(ip);
      if (!g || g.latitude === null || g.longitude === null) continue;
      const network = networks?.lookup(ip)?.type;
      if (network === 'hosting') {
        if (g.city) hosting.push({ ip, geo: g });
        continue;
      }
      if (network === 'mobile') {
        mobile.set(g.countryCode, [...(mobile.get(g.countryCode) ?? []), { ip, geo: g }]);
        continue;
      }
      if (!g.city) {
        countryOnly.set(g.countryCode, [...(countryOnly.get(g.countryCode) ?? []), { ip, geo: g }]);
        continue;
      }
      const key = `${g.countryCode}|${g.city}`;
      const city = cities.get(key) ?? {
        key,
        countryCode: g.countryCode,
        addresses: [],
        lat: g.latitude,
        lon: g.longitude,
      };
      if (city.addresses.length < 12) city.addresses.push({ ip, geo: g });
      cities.set(key, city);
    }
  }
  const byCountry = new Map<string, City[]>();
  for (const c of cities.values()) byCountry.set(c.countryCode, [...(byCountry.get(c.countryCode) ?? []), c]);
  for (const list of byCountry.values()) list.sort((x, y) => (x.key < y.key ? -1 : 1));
  // Countries with enough cities to move around in, largest first (deterministic order).
  const countries = [...byCountry.entries()]
    .filter(([, list]) => list.length >= 12)
    .sort((x, y) => y[1].length - x[1].length || (x[0] < y[0] ? -1 : 1))
    .slice(0, 12)
    .map(([cc]) => cc);
  return { byCountry, countries, countryOnly, hosting, mobile };
}

interface Device {
  id: string;
  name: string;
}

/** One account's plays as (start, minutes, device, place, foreign) before they become events. */
interface PlannedPlay {
  start: number;
  minutes: number;
  device: Device;
  /** The address of each 5-minute step (a phone on a carrier network moves between them). */
  places: Address[];
  foreign: boolean;
}

function pickKind(random: () => number): { kind: AccountKind; shared: boolean } {
  let r = random();
  for (const [kind, share] of Object.entries(LEGITIMATE_KINDS)) {
    if (r < share) return { kind: kind as AccountKind, shared: false };
    r -= share;
  }
  for (const [kind, share] of Object.entries(SHARED_KINDS)) {
    if (r < share) return { kind: kind as AccountKind, shared: true };
    r -= share;
  }
  return { kind: 'home', shared: false };
}

/** `accounts` accounts over `days` days from `from`, by seed. */
export function labelledFleet(
  geo: GeoLookup,
  options: { seed?: number; accounts?: number; days?: number; from?: number; networks?: NetworkLookup } = {},
): LabelledFleet {
  const random = rng(options.seed ?? 2026);
  const book = addressBook(geo, random, options.networks);
  const from = options.from ?? Date.UTC(2026, 9, 1);
  const days = options.days ?? 30;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const cityIn = (cc: string) => pick(book.byCountry.get(cc)!);
  const addressIn = (city: City) => pick(city.addresses);
  const farCity = (from: City, minKm: number, cc?: string): City => {
    for (let tries = 0; tries < 200; tries++) {
      const c = cityIn(cc ?? pick(book.countries));
      if (distanceKm(from.lat, from.lon, c.lat, c.lon) >= minKm) return c;
    }
    return cityIn(pick(book.countries.filter((x) => x !== from.countryCode)));
  };
  // A few datacenter exits many VPN users share, as commercial VPNs do.
  const vpnExits =
    book.hosting.length >= 8
      ? Array.from({ length: 4 }, () => pick(book.hosting))
      : book.countries.slice(0, 4).map((cc) => addressIn(cityIn(cc)));

  const accounts: LabelledAccount[] = [];
  const events: Array<PlaybackEvent & { deliveredAt: number }> = [];
  const count = options.accounts ?? 2000;
  for (let n = 0; n < count; n++) {
    const { kind, shared } = pickKind(random);
    // A fifth of the accounts are on a second server whose clock runs 40 s ahead.
    const serverId = n % 5 === 0 ? 'jf-fleet' : 'plex-fleet';
    const skew = serverId === 'jf-fleet' ? 40_000 : 0;
    const accountKey = `${serverId}:u${n}`;
    const country = pick(book.countries);
    const home = cityIn(country);
    // Home broadband: one address, renewed once or twice a month.
    const homeAddresses = [addressIn(home), addressIn(home)];
    const homeAt = (t: number) => homeAddresses[Math.floor((t - from) / (16 * DAY)) % 2]!;
    const device = (name: string, i: number): Device => ({ id: `${accountKey}:${name}:${i}`, name });
    const devices = [device('TV', 0), device('Tablet', 1), device('Phone', 2)];
    const plays: PlannedPlay[] = [];
    const evening = (day: number) => from + day * DAY + int(17, 22) * 3_600_000 + int(0, 59) * MIN;
    const at = (addr: Address, steps: number) => Array.from({ length: steps }, () => addr);
    /** A play from one address throughout. */
    const stayPlay = (start: number, minutes: number, dev: Device, addr: Address, foreign = false): PlannedPlay => ({
      start,
      minutes,
      device: dev,
      places: at(addr, Math.ceil(minutes / 5)),
      foreign,
    });
    const homePlay = (day: number, dev = pick(devices), foreign = false): PlannedPlay => {
      const start = evening(day);
      const minutes = int(20, 140);
      return stayPlay(start, minutes, dev, homeAt(start), foreign);
    };
    // The phone on its carrier's network: each step's address from a gateway of the country's
    // mobile networks, placed in one city or another.
    const gateways = book.mobile.get(country) ?? [];
    const carrier = Array.from({ length: 6 }, () => cityIn(country));
    const carrierAddress = () => (gateways.length >= 4 ? pick(gateways) : addressIn(pick(carrier)));
    const mobilePlay = (day: number): PlannedPlay => {
      const start = from + day * DAY + int(7, 22) * 3_600_000;
      const minutes = int(10, 60);
      const places = Array.from({ length: Math.ceil(minutes / 5) }, carrierAddress);
      return { start, minutes, device: devices[2]!, places, foreign: false };
    };

    for (let day = 0; day < days; day++) {
      if (random() < 0.55) plays.push(homePlay(day));
      switch (kind) {
        case 'household':
          // Up to four of the household's six devices at once, all at home.
          for (let k = 0; k < int(0, 3); k++) plays.push(homePlay(day, device('Room', k + 3)));
          break;
        case 'mobile':
          if (random() < 0.8) plays.push(mobilePlay(day));
          if (random() < 0.4) plays.push(mobilePlay(day));
          break;
        case 'vpn':
          if (random() < 0.3) {
            const p = homePlay(day, devices[1]);
            plays.push({ ...p, places: at(pick(vpnExits), p.places.length) });
          }
          break;
        case 'secondHome':
          if (day % 7 >= 5) {
            const second = farCity(home, 150, country);
            plays.push(stayPlay(evening(day), int(30, 120), devices[1]!, addressIn(second)));
          }
          break;
        default:
          break;
      }
    }

    if (kind === 'traveller' || kind === 'splitHousehold') {
      // A train trip (< 300 km/h) or a flight (~900 km/h, nothing while flying), then days there.
      const day = int(3, days - 8);
      const flight = random() < 0.5;
      const there = flight ? farCity(home, 1500) : farCity(home, 200, country);
      const leave = from + day * DAY + 8 * 3_600_000;
      const travelHours = flight
        ? distanceKm(home.lat, home.lon, there.lat, there.lon) / 850 + 1
        : distanceKm(home.lat, home.lon, there.lat, there.lon) / 200;
      const arrive = leave + travelHours * 3_600_000;
      // Removing home plays of the traveller's phone/tablet while away (the TV stays at home).
      const stay = int(3, 6);
      for (let d = 0; d < stay; d++) {
        const start = arrive + d * DAY + int(1, 4) * 3_600_000;
        const minutes = int(20, 90);
        plays.push(stayPlay(start, minutes, devices[1]!, addressIn(there)));
      }
      for (let i = plays.length - 1; i >= 0; i--) {
        const p = plays[i]!;
        const away = p.start >= leave && p.start < arrive + stay * DAY;
        // The traveller alone: nothing at home meanwhile; a split household keeps watching the TV.
        if (away && p.places[0] === homeAt(p.start) && (kind === 'traveller' || p.device.id !== devices[0]!.id))
          plays.splice(i, 1);
      }
    }

    if (shared) {
      // The sharer's own home: another city, another country, or (resold) everywhere.
      const other =
        kind === 'familyAbroad' ? farCity(home, 800) : kind === 'resold' ? home : farCity(home, 150, country);
      const theirDevices = [device('Their TV', 10), device('Their Phone', 11)];
      const foreignDays = kind === 'resold' ? days : int(8, 20);
      const places =
        kind === 'resold'
          ? Array.from({ length: 6 }, () => addressIn(cityIn(pick(book.countries))))
          : [addressIn(other)];
      for (let k = 0; k < foreignDays; k++) {
        const day = int(0, days - 1);
        const streams = kind === 'resold' ? int(2, 5) : 1;
        for (let s = 0; s < streams; s++) {
          let start = evening(day);
          if (kind === 'noOverlap') {
            // Only when the owner is not watching: mornings and early afternoons.
            start = from + day * DAY + int(7, 13) * 3_600_000;
          }
          const minutes = int(30, 120);
          const addr = kind === 'resold' ? pick(places) : places[0]!;
          plays.push(
            stayPlay(
              start,
              minutes,
              kind === 'resold' ? device('Reseller', 20 + s + k) : pick(theirDevices),
              addr,
              true,
            ),
          );
        }
      }
    }

    // Addresses placed only to a country (a centroid) for a tenth of home plays.
    const imprecise = book.countryOnly.get(country);
    const account: LabelledAccount = { accountKey, kind, shared, foreignSessions: [], sessions: [] };
    plays.sort((x, y) => x.start - y.start);
    plays.forEach((play, i) => {
      const sessionKey = `${accountKey}#${i}`;
      account.sessions.push(sessionKey);
      if (play.foreign) account.foreignSessions.push(sessionKey);
      if (imprecise && !play.foreign && kind === 'home' && random() < 0.1)
        play.places = play.places.map(() => imprecise[0]!);
      const steps = Math.max(1, Math.ceil(play.minutes / 5));
      for (let s = 0; s <= steps; s++) {
        const observedAt = play.start + s * PROGRESS_MS + skew;
        const type = s === 0 ? 'STARTED' : s === steps ? 'STOPPED' : 'PROGRESS';
        const address = play.places[Math.min(s, play.places.length - 1)]!;
        const event = samplePlaybackEvent({
          eventId: createHash('sha1').update(`${sessionKey}:${s}`).digest('hex').slice(0, 24),
          eventType: type,
          observedAt,
          serverId,
          serverType: serverId === 'jf-fleet' ? 'JELLYFIN' : 'PLEX',
          accountKey,
          userId: `u${n}`,
          userName: `viewer${n}`,
          sessionKey,
          device: { ...samplePlaybackEvent().device, deviceId: play.device.id, deviceName: play.device.name },
          clientIp: address.ip,
          networkLocation: 'WAN',
          playState: type === 'STOPPED' ? 'STOPPED' : 'PLAYING',
          playStartedAt: play.start + skew,
          playedMs: s * PROGRESS_MS,
          location: { ...address.geo, region: address.geo.region, accuracyRadiusKm: address.geo.accuracyRadiusKm },
          geoSource: 'fleet',
        });
        // Up to 20 s late on the bus; one progress report in 200 delivered twice.
        const deliveredAt = observedAt + Math.floor(random() * 20_000);
        events.push({ ...event, deliveredAt });
        if (type === 'PROGRESS' && random() < 0.005) events.push({ ...event, deliveredAt: deliveredAt + 5_000 });
      }
    });
    accounts.push(account);
  }
  events.sort((x, y) => x.deliveredAt - y.deliveredAt || (x.eventId < y.eventId ? -1 : 1));
  return { accounts, events: events.map(({ deliveredAt: _d, ...e }) => e), from, days };
}
