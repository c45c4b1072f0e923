// The demo's viewers: hundreds of accounts on three servers, most watching like households do,
// some sharing their account with another household far away, a few travelling impossibly fast
// or running too many streams at once, so every rule has something to find.
import { episode, movie, track, MOVIES, MUSIC, SHOWS } from '../connectors/fakes/catalog.ts';
import type { FakeMediaServer } from '../connectors/fakes/fake-server.ts';
import type { FakeDevice, FakeItem, FakeSession, FakeUser } from '../connectors/fakes/fleet.ts';
import { distanceKm, type Place } from './places.ts';

type Habit = 'household' | 'sharer' | 'traveller' | 'binger';

interface Viewer {
  user: FakeUser;
  server: FakeMediaServer;
  habit: Habit;
  homes: Array<{ place: Place; device: FakeDevice }>;
  sessions: FakeSession[];
  /** A traveller's next stop: far away, reached too soon. */
  away?: Place;
}

const FIRST = [
  'Alex',
  'Sam',
  'Jo',
  'Mia',
  'Liam',
  'Noah',
  'Emma',
  'Ava',
  'Yuki',
  'Wei',
  'Lena',
  'Omar',
  'Ines',
  'Ravi',
  'Sofia',
  'Hugo',
  'Nina',
  'Ken',
  'Zoe',
  'Ali',
  'Chen',
  'Maya',
  'Luca',
  'Aiko',
];
const LAST = [
  'Smith',
  'Garcia',
  'Müller',
  'Rossi',
  'Tanaka',
  'Wang',
  'Dubois',
  'Silva',
  'Kim',
  'Nowak',
  'Jensen',
  'Costa',
  'Ivanova',
  'Patel',
  'Okafor',
  'Haddad',
];
const DEVICES: Array<Omit<FakeDevice, 'id'>> = [
  { name: 'Living Room TV', product: 'Plex for Android (TV)', platform: 'Android' },
  { name: 'iPhone', product: 'Plex for iOS', platform: 'iOS' },
  { name: 'iPad', product: 'Infuse', platform: 'iPadOS' },
  { name: 'Chrome', product: 'Plex Web', platform: 'Chrome' },
  { name: 'Shield', product: 'Jellyfin Android TV', platform: 'Android' },
  { name: 'Apple TV', product: 'Swiftfin', platform: 'tvOS' },
  { name: 'Roku Ultra', product: 'Roku', platform: 'Roku' },
  { name: 'Firefox', product: 'Emby Web', platform: 'Firefox' },
];

function demoCatalog(): FakeItem[] {
  const films = [
    'Dune',
    'Arrival',
    'Heat',
    'Alien',
    'Amélie',
    'Parasite',
    'Spirited Away',
    'Oldboy',
    'Inception',
    'Roma',
    'Drive',
    'Her',
    'Up',
    'Coco',
    'Jaws',
    'Rocky',
  ];
  const shows = [
    ['Dark', 3],
    ['Severance', 2],
    ['The Bear', 3],
    ['Shōgun', 1],
    ['Fargo', 5],
    ['Andor', 2],
  ] as const;
  const heights = [2160, 1080, 1080, 720, 480];
  return [
    ...films.map((title, i) =>
      movie(`m${i}`, title, {
        year: 1975 + i * 3,
        videoHeight: heights[i % heights.length]!,
        videoCodec: i % 3 === 0 ? 'hevc' : 'h264',
        bitrateKbps: [24_000, 10_000, 8_000, 4_000, 2_000][i % 5]!,
        durationMs: (90 + (i % 5) * 12) * 60_000,
      }),
    ),
    ...shows.flatMap(([series, seasons], s) =>
      Array.from({ length: seasons * 3 }, (_, e) =>
        episode(`s${s}e${e}`, series, 1 + Math.floor(e / 3), 1 + (e % 3), `Chapter ${e + 1}`, {
          videoHeight: 1080,
          bitrateKbps: 8_000,
          durationMs: (24 + (s % 3) * 18) * 60_000,
        }),
      ),
    ),
    ...['Airbag', 'Teardrop', 'Hyperballad', 'Windowlicker', 'Svefn-g-englar'].map((title, i) =>
      track(`t${i}`, ['Radiohead', 'Massive Attack', 'Björk', 'Aphex Twin', 'Sigur Rós'][i]!, title),
    ),
  ];
}

function stockLibraries(server: FakeMediaServer, items: FakeItem[]): void {
  server.addLibrary(
    MOVIES,
    items.filter((i) => i.libraryId === MOVIES.id),
  );
  server.addLibrary(
    SHOWS,
    items.filter((i) => i.libraryId === SHOWS.id),
  );
  server.addLibrary(
    MUSIC,
    items.filter((i) => i.libraryId === MUSIC.id),
  );
}

export class DemoFleet {
  readonly viewers: Viewer[] = [];
  private readonly items: FakeItem[];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: {
      servers: FakeMediaServer[];
      places: Place[];
      users: number;
      random: () => number;
      tickMs?: number;
    },
  ) {
    const { servers, places, users, random } = options;
    this.items = demoCatalog();
    for (const server of servers) stockLibraries(server, this.items);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
    const farFrom = (home: Place) => places.filter((p) => distanceKm(p, home) > 2500);
    for (let n = 0; n < users; n++) {
      const server = servers[n % servers.length]!;
      const user = server.addUser({
        id: String(1000 + n),
        name: `${pick(FIRST)} ${pick(LAST)}`.replace(' ', n % 4 === 0 ? '.' : ' '),
      });
      const roll = random();
      const habit: Habit = roll < 0.08 ? 'sharer' : roll < 0.11 ? 'traveller' : roll < 0.14 ? 'binger' : 'household';
      const homePlace = pick(places);
      const device = (k: number) => ({ ...pick(DEVICES), id: `dev-${n}-${k}` });
      const homes = [{ place: homePlace, device: device(0) }];
      if (habit === 'sharer')
        homes.push({ place: pick(farFrom(homePlace).length ? farFrom(homePlace) : places), device: device(1) });
      const viewer: Viewer = { user, server, habit, homes, sessions: [] };
      if (habit === 'traveller') viewer.away = pick(farFrom(homePlace).length ? farFrom(homePlace) : places);
      this.viewers.push(viewer);
    }
  }

  /** Starts watching: a first wave at once, so the dashboard has something to show right away. */
  start(): void {
    for (const viewer of this.viewers)
      if (viewer.habit !== 'household' || this.options.random() < 0.12) this.begin(viewer);
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 5000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    for (const viewer of this.viewers) for (const session of viewer.sessions.splice(0)) session.stop();
  }

  get activeSessions(): number {
    return this.viewers.reduce((sum, v) => sum + v.sessions.length, 0);
  }

  private begin(viewer: Viewer): void {
    const { random } = this.options;
    const item = () => this.items[Math.floor(random() * this.items.length)]!;
    const play = (home: Viewer['homes'][number], ip = home.place.ip) => {
      const chosen = item();
      const transcode =
        chosen.videoHeight && chosen.videoHeight > 1080 && random() < 0.6
          ? { videoHeight: 1080, videoCodec: 'h264', bitrateKbps: 8_000, hardware: random() < 0.5 }
          : random() < 0.15
            ? { videoHeight: 720, videoCodec: 'h264', bitrateKbps: 4_000 }
            : undefined;
      viewer.sessions.push(
        viewer.server.startSession({
          user: viewer.user,
          item: chosen,
          device: home.device,
          ip,
          transcode,
          directStream: !transcode && random() < 0.3,
          positionMs: Math.floor(random() * chosen.durationMs * 0.5),
        }),
      );
    };
    switch (viewer.habit) {
      case 'sharer':
        // Both households at once: simultaneous locations.
        for (const home of viewer.homes) play(home);
        break;
      case 'binger':
        for (let i = 0; i < 4; i++)
          play({
            ...viewer.homes[0]!,
            device: { ...viewer.homes[0]!.device, id: `${viewer.homes[0]!.device.id}-${i}` },
          });
        break;
      default:
        play(viewer.homes[0]!);
    }
  }

  private tick(): void {
    const { random } = this.options;
    const stepMs = this.options.tickMs ?? 5000;
    for (const viewer of this.viewers) {
      for (const session of [...viewer.sessions]) {
        const r = random();
        if (session.positionMs >= session.spec.item.durationMs - stepMs || r < 0.01) {
          session.stop();
          viewer.sessions.splice(viewer.sessions.indexOf(session), 1);
        } else if (session.state === 'paused') {
          if (r < 0.3) session.resume();
        } else if (r < 0.02) session.pause();
        else if (viewer.habit === 'traveller' && viewer.away && session.ip !== viewer.away.ip && r < 0.08) {
          // Minutes later, an ocean away: impossible travel.
          session.stop();
          viewer.sessions.splice(viewer.sessions.indexOf(session), 1);
          viewer.sessions.push(
            viewer.server.startSession({
              user: viewer.user,
              item: session.spec.item,
              device: session.spec.device,
              ip: viewer.away.ip,
            }),
          );
        } else session.progress(stepMs);
      }
      if (viewer.sessions.length === 0 && random() < (viewer.habit === 'household' ? 0.01 : 0.04)) this.begin(viewer);
    }
  }
}
