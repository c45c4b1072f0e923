// Every surface gives the same number for the same period (README, "What counts as a play"): the
// whole product (role "all") watching a scripted fleet of fake Plex and Jellyfin servers, with a
// week of earlier history, plays that ended and plays still running, and sessions that are not
// plays (theme music, a trailer). Asked through the API, as the dashboard asks, in a time zone
// 30 minutes off the hour.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBus } from '../bus/embedded/embedded-bus.ts';
import { publish } from '../bus/typed.ts';
import { DEVICES, MOVIES, SHOWS, episode, movie, user } from '../connectors/fakes/catalog.ts';
import { FakeMediaBrowserServer } from '../connectors/fakes/fake-mediabrowser.ts';
import { FakePlexServer } from '../connectors/fakes/fake-plex.ts';
import { LibrarySync } from '../connectors/library-sync.ts';
import { PlexClient } from '../connectors/plex.ts';
import { createLogger } from '../core/logger.ts';
import { startOfDay } from '../core/time-zone.ts';
import { loadConfig } from '../runtime/config.ts';
import { startRole, type Running } from '../runtime/roles.ts';
import { allTopics, topics } from '../schemas/index.ts';
import { setupAndSignIn } from '../testing/api-session.ts';
import { waitFor } from '../testing/bus-contract.ts';
import { testConfiguration } from '../testing/configuration.ts';
import { generateHistory } from '../testing/history.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';

const logger = createLogger('test');
const plex = new FakePlexServer('agree-plex');
const jellyfin = new FakeMediaBrowserServer('JELLYFIN', 'agree-jf');
const heat = movie('501', 'Heat', { videoHeight: 1080, videoCodec: 'h264' });
const dune = movie('502', 'Dune');
const chapter = episode('601', 'Dark', 1, 5, 'Chapter 5');

/** Kolkata (+05:30), unless the test runs within an hour of its midnight: then St John's (-03:30). */
function zoneAwayFromMidnight(now: number): string {
  for (const zone of ['Asia/Kolkata', 'America/St_Johns'])
    if (now - startOfDay(now, zone) > 3_600_000 && startOfDay(now, zone, 1) - now > 3_600_000) return zone;
  return 'Asia/Kathmandu';
}
const now = Date.now();
const tz = zoneAwayFromMidnight(now);
const today = startOfDay(now, tz);
// A week of earlier plays, all before today, each ended.
const earlier = generateHistory({
  seed: 5,
  servers: ['plex-agree', 'jf-agree'],
  plays: 150,
  livePlays: 0,
  from: startOfDay(now, tz, -7),
  days: 7,
});
const earlierToday = earlier.plays.filter((p) => p.startedAt >= today).length;

let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let bus: EmbeddedBus;
let product: Running;
let cookie = '';

async function get<T>(path: string, query: Record<string, string | number> = {}): Promise<T> {
  const url = new URL(path, product.address);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
  const response = await fetch(url, { headers: { cookie } });
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

async function storedPlays(where: string): Promise<number> {
  const result = await warehouse.client.query({
    query: `SELECT count() AS n FROM ${warehouse.table('sessions')} FINAL WHERE server_id IN ('plex-live', 'jf-live') AND ${where}`,
    format: 'JSONEachRow',
  });
  return Number((await result.json<{ n: string }>())[0]!.n);
}

beforeAll(async () => {
  await plex.start();
  await jellyfin.start();
  plex.addLibrary(MOVIES, [heat, dune]);
  plex.addLibrary(SHOWS, [chapter]);
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
  bus = new EmbeddedBus({ dir: mkdtempSync(join(tmpdir(), 'sw-agree-')), logger, defaultPartitions: 2 });
  await bus.ensureTopics(allTopics.map((t) => ({ name: t.name })));
  const config = loadConfig({
    STREAMWARDEN_DATA_DIR: mkdtempSync(join(tmpdir(), 'sw-agree-data-')),
    PORT: '0',
    HOST: '127.0.0.1',
  });
  const configuration = testConfiguration(warehouse, { pollMs: 200 });
  product = await startRole('all', config, { bus, warehouse, close: async () => undefined }, configuration, logger);
  cookie = await setupAndSignIn(product.address);

  const producer = await bus.producer();
  await publish(producer, topics.playbackEvents, earlier.events);
  await new LibrarySync({
    server: { id: 'plex-live', type: 'PLEX' },
    client: new PlexClient({ url: plex.url, token: 'agree-plex', clientId: 't' }),
    emit: (pages) => publish(producer, topics.librarySnapshots, pages),
    logger,
  }).syncOnce();

  for (const [id, type, server, token] of [
    ['plex-live', 'plex', plex, 'agree-plex'],
    ['jf-live', 'jellyfin', jellyfin, 'agree-jf'],
  ] as const) {
    const added = await fetch(`${product.address}/api/v1/servers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ id, type, url: server.url, token, pollIntervalMs: 1000, stopGraceMs: 0 }),
    });
    if (added.status !== 201) throw new Error(`adding ${id}: ${added.status} ${await added.text()}`);
  }

  // Four plays: two end, two are still running (one of them paused). Two sessions are not plays.
  const erin = plex.startSession({ user: user('5', 'erin'), item: heat, device: DEVICES.tv(), ip: '81.2.69.142' });
  plex.startSession({ user: user('6', 'sam'), item: chapter, device: DEVICES.phone(), ip: '2.125.160.216' });
  plex.startSession({
    user: user('6', 'sam'),
    item: chapter,
    device: DEVICES.tv('tv-2'),
    ip: '2.125.160.216',
    theme: true,
  });
  const kim = jellyfin.startSession({
    user: user('k1', 'kim'),
    item: dune,
    device: DEVICES.browser(),
    ip: '89.160.20.112',
  });
  const lee = jellyfin.startSession({
    user: user('l1', 'lee'),
    item: movie('j-heat', 'Heat', { videoHeight: 1080 }),
    device: DEVICES.browser('browser-2'),
    ip: '216.160.83.56',
  });
  jellyfin.startSession({
    user: user('l1', 'lee'),
    item: movie('j-trailer', 'Heat (trailer)', { extra: 'trailer' }),
    device: DEVICES.browser('browser-3'),
    ip: '216.160.83.56',
  });
  await waitFor(async () => (await storedPlays('true')) === 4, 'the four plays stored', 60_000);
  erin.progress(600_000);
  kim.progress(300_000);
  lee.pause();
  await new Promise((r) => setTimeout(r, 2500));
  erin.stop();
  kim.stop();
  await waitFor(async () => (await storedPlays('stopped_at IS NOT NULL')) === 2, 'the two stops stored', 60_000);
  await waitFor(
    async () =>
      (await storedPlays('true')) === 4 &&
      (await get<{ items: unknown[] }>('/api/v1/library/most-watched')).items.length > 0,
    'the history and the library stored',
    60_000,
  );
}, 180_000);

afterAll(async () => {
  await product?.stop();
  await bus?.close();
  await warehouse?.drop();
  await plex.stop();
  await jellyfin.stop();
}, 60_000);

type Rows = Array<Record<string, number | string | null>>;
const total = (rows: Rows, field = 'plays') => rows.reduce((n, r) => n + Number(r[field]), 0);

/** The history pages of the range, all of them, narrowed as an analytics panel's link narrows them. */
async function historyRows(from: number, to: number, narrow: Record<string, string> = {}): Promise<Rows> {
  const out: Rows = [];
  let cursor: string | null = null;
  do {
    const page: { sessions: Rows; nextCursor: string | null } = await get('/api/v1/sessions/history', {
      from,
      to,
      limit: 500,
      ...narrow,
      ...(cursor ? { cursor } : {}),
    });
    out.push(...page.sessions);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** Every analytic's total plays for the range, by name. */
async function analyticsTotals(from: number, to: number): Promise<Record<string, number>> {
  const range = { from, to, tz, limit: 100 };
  const data = async (name: string) => (await get<{ data: Rows }>(`/api/v1/analytics/${name}`, range)).data;
  const out: Record<string, number> = {};
  for (const name of ['plays', 'heatmap', 'decisions', 'resolutions', 'platforms', 'products', 'players'])
    out[name] = total(await data(name));
  out['top-users'] = total(await data('top-users'));
  out['top-titles'] = total(await data('top-titles'));
  out.countries = total(await data('countries'));
  out.cities = total(await data('cities'));
  return out;
}

describe('numbers agree on every surface', () => {
  it("today, in the viewer's time zone: the overview, every analytic and the history count the same plays, running ones included", async () => {
    const expected = 4 + earlierToday;
    const overview = await get<{ playsToday: number; watchMsToday: number; usersToday: number }>(
      '/api/v1/analytics/overview',
      { tz },
    );
    expect(overview.playsToday).toBe(expected);
    const to = Date.now() + 1;
    const totals = await analyticsTotals(today, to);
    expect(totals).toEqual(Object.fromEntries(Object.keys(totals).map((k) => [k, expected])));

    const rows = await historyRows(today, to);
    expect(rows).toHaveLength(expected);
    expect(rows.filter((r) => r.stoppedAt === null)).toHaveLength(2);
    const users = await get<{ data: Rows }>('/api/v1/analytics/top-users', { from: today, to, tz, limit: 100 });
    expect(overview.usersToday).toBe(users.data.length);
    expect(overview.usersToday).toBe(new Set(rows.map((r) => r.accountKey)).size);

    // Watch time counts when a play ends: the overview, analytics and the ended plays of the history agree.
    const plays = await get<{ data: Rows }>('/api/v1/analytics/plays', { from: today, to, tz });
    const ended = rows.filter((r) => r.stoppedAt !== null);
    expect(ended.length).toBeGreaterThanOrEqual(2);
    expect(total(plays.data, 'watchMs')).toBe(overview.watchMsToday);
    expect(total(ended, 'playedMs')).toBe(overview.watchMsToday);
    expect(overview.watchMsToday).toBeGreaterThan(0);
  });

  it('the last 30 days: analytics, history, user pages and the library agree', async () => {
    const from = startOfDay(now, tz, -29);
    const to = Date.now() + 1;
    const expected = 4 + earlier.plays.length;
    const totals = await analyticsTotals(from, to);
    expect(totals).toEqual(Object.fromEntries(Object.keys(totals).map((k) => [k, expected])));
    const rows = await historyRows(from, to);
    expect(rows).toHaveLength(expected);

    // Each user's page counts that user's plays (every play here is within the 30 days).
    const users = (await get<{ data: Rows }>('/api/v1/analytics/top-users', { from, to, tz, limit: 100 })).data;
    for (const u of users.filter((x) => String(x.accountKey).includes('-live:'))) {
      const profile = await get<{ devices: Rows }>(`/api/v1/users/${encodeURIComponent(String(u.accountKey))}`);
      expect(total(profile.devices), String(u.accountKey)).toBe(u.plays);
      expect(rows.filter((r) => r.accountKey === u.accountKey)).toHaveLength(Number(u.plays));
    }

    // Library "most watched": the plays of each of the Plex library's items.
    const most = (await get<{ items: Rows }>('/api/v1/library/most-watched', { servers: 'plex-live' })).items;
    for (const item of [heat, chapter])
      expect(most.find((m) => m.title === item.title)?.plays, item.title).toBe(
        rows.filter((r) => r.serverId === 'plex-live' && r.title === item.title).length,
      );
    expect(most.find((m) => m.title === heat.title)?.plays).toBe(1);
  });

  it("each analytics panel's row opens a history of as many plays as it counts", async () => {
    const from = startOfDay(now, tz, -29);
    const to = Date.now() + 1;
    const data = async (name: string) =>
      (await get<{ data: Rows }>(`/api/v1/analytics/${name}`, { from, to, tz, limit: 100 })).data;
    // What the dashboard's panels link to (dashboard/app/src/lib/history-links.ts), per panel.
    const panels: Record<string, (r: Rows[number]) => Record<string, string>> = {
      platforms: (r) => ({ platform: String(r.key) }),
      products: (r) => ({ product: String(r.key) }),
      players: (r) => ({ player: String(r.key) }),
      decisions: (r) => ({ delivery: String(r.key) }),
      resolutions: (r) => ({ sourceResolution: String(r.source), streamResolution: String(r.stream) }),
      'video-codecs': (r) => ({ sourceVideoCodec: String(r.source), streamVideoCodec: String(r.stream) }),
      'audio-codecs': (r) => ({ sourceAudioCodec: String(r.source), streamAudioCodec: String(r.stream) }),
      countries: (r) => ({ country: String(r.countryCode) }),
      cities: (r) => ({ country: String(r.countryCode), city: String(r.city) }),
      'top-users': (r) => ({ accounts: String(r.accountKey) }),
      'top-titles': (r) => ({ titleKey: String(r.titleKey) }),
    };
    let narrowed = 0;
    for (const [name, link] of Object.entries(panels)) {
      const list = (await data(name)).filter((r) => Number(r.plays) > 0);
      expect(list.length, name).toBeGreaterThan(0);
      for (const row of list) {
        const rows = await historyRows(from, to, link(row));
        expect(rows.length, `${name} ${JSON.stringify(link(row))}`).toBe(Number(row.plays));
        if (list.length > 1) narrowed++;
      }
    }
    // Most panels have several rows, so a filter that did nothing would count every play and fail.
    expect(narrowed).toBeGreaterThan(10);
  });
});
