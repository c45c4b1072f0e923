import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/bus-contract.ts';
import { EmbeddedBus } from '../bus/embedded/embedded-bus.ts';
import { publish } from '../bus/typed.ts';
import { LibrarySync } from '../connectors/library-sync.ts';
import { MediaBrowserClient } from '../connectors/mediabrowser.ts';
import { PlexClient } from '../connectors/plex.ts';
import { FakeMediaBrowserServer } from '../connectors/fakes/fake-mediabrowser.ts';
import { FakePlexServer } from '../connectors/fakes/fake-plex.ts';
import { MOVIES, SHOWS, episode, movie } from '../connectors/fakes/catalog.ts';
import { createLogger } from '../core/logger.ts';
import { allTopics, topics } from '../schemas/index.ts';
import { samplePlaybackEvent } from '../testing/fixtures.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from './migrations.ts';
import { LibraryQueries } from './queries/index.ts';
import { WarehouseSink } from './sink.ts';

const logger = createLogger('test');
const plex = new FakePlexServer('p');
const jellyfin = new FakeMediaBrowserServer('JELLYFIN', 'j');
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let bus: EmbeddedBus;
let sink: WarehouseSink;
let syncs: LibrarySync[];

async function syncAll(): Promise<void> {
  const before = sink.stats.rows.library_items ?? 0;
  let read = 0;
  for (const sync of syncs) read += (await sync.syncOnce()).items;
  await waitFor(() => (sink.stats.rows.library_items ?? 0) >= before + read, 'library rows stored');
  await new Promise((r) => setTimeout(r, 200));
}

beforeAll(async () => {
  await plex.start();
  await jellyfin.start();
  // Outside ids as the servers report them: Plex's agent guid and Guid elements, Jellyfin's ProviderIds.
  const dune = { imdb: 'tt1160419', tmdb: '438631' };
  const heat = { imdb: 'tt0113277', tmdb: '949' };
  const darkEpisode = (n: number) => ({ tvdb: String(6_202_650 + n), imdb: `tt57535${10 + n}` });
  plex.addLibrary(MOVIES, [
    movie('101', 'Dune', {
      year: 2021,
      sizeBytes: 40e9,
      videoHeight: 2160,
      externalIds: { ...dune, plexGuid: 'plex://movie/5d776be17a53e9001e732ab9' },
    }),
    movie('102', 'Heat', { year: 1995, sizeBytes: 8e9, videoHeight: 1080, videoCodec: 'h264', externalIds: heat }),
    movie('103', 'Alien', { year: 1979, sizeBytes: 6e9, videoHeight: 1080, videoCodec: 'h264' }),
    // Same title, another film: never the same item as Dune (2021).
    movie('105', 'Dune', { year: 1984, sizeBytes: 5e9, videoHeight: 1080, externalIds: { imdb: 'tt0087182' } }),
  ]);
  // A second library holding Heat again (a 4K copy): a true duplicate on one server.
  plex.addLibrary({ id: '4', title: '4K Movies', kind: 'movie' }, [
    movie('104', 'Heat', { libraryId: '4', year: 1995, sizeBytes: 30e9, externalIds: heat }),
  ]);
  plex.addLibrary(
    SHOWS,
    Array.from({ length: 7 }, (_, i) =>
      episode(String(200 + i), 'Dark', 1, i + 1, `Chapter ${i + 1}`, {
        sizeBytes: 2e9,
        externalIds: darkEpisode(i + 1),
      }),
    ),
  );
  // Jellyfin holds Dune and one episode of Dark too, under its own ids: the same items, on two servers.
  jellyfin.addLibrary(MOVIES, [
    movie('j-dune', 'Dune', { year: 2021, sizeBytes: 30e9, videoHeight: 2160, externalIds: dune }),
  ]);
  jellyfin.addLibrary(SHOWS, [
    episode('j-dark-5', 'Dark', 1, 5, 'Chapter 5', { sizeBytes: 2e9, externalIds: darkEpisode(5) }),
  ]);
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
  bus = new EmbeddedBus({ dir: mkdtempSync(join(tmpdir(), 'sw-lib-')), logger, defaultPartitions: 2 });
  await bus.ensureTopics(allTopics.map((t) => ({ name: t.name })));
  sink = new WarehouseSink({ bus, warehouse, logger, maxDelayMs: 20 });
  await sink.start();
  const producer = await bus.producer();
  const emit = (pages: Parameters<typeof publish>[2]) => publish(producer, topics.librarySnapshots, pages as never);
  syncs = [
    new LibrarySync({
      server: { id: 'plex', type: 'PLEX' },
      client: new PlexClient({ url: plex.url, token: 'p', clientId: 't' }),
      emit,
      logger,
      pageSize: 3,
    }),
    new LibrarySync({
      server: { id: 'jf', type: 'JELLYFIN' },
      client: new MediaBrowserClient({ flavor: 'JELLYFIN', url: jellyfin.url, token: 'j', clientId: 't' }),
      emit,
      logger,
      pageSize: 3,
    }),
  ];
  await syncAll();
  // Heat was watched twice on Plex, Dune once on Plex and once on Jellyfin: each play a start and a stop.
  const play = (itemId: string, sessionKey: string, playedMs: number, serverId = 'plex') =>
    (['STARTED', 'STOPPED'] as const).map((eventType) =>
      samplePlaybackEvent({
        eventId: `${sessionKey}-${eventType}`,
        serverId,
        accountKey: `${serverId}:1`,
        sessionKey,
        eventType,
        playedMs: eventType === 'STOPPED' ? playedMs : 0,
        media: { ...samplePlaybackEvent().media, itemId },
      }),
    );
  await publish(producer, topics.playbackEvents, [
    ...play('102', 'a', 60_000),
    ...play('102', 'b', 30_000),
    ...play('101', 'c', 90_000),
    ...play('j-dune', 'd', 45_000, 'jf'),
  ]);
  await waitFor(() => (sink.stats.rows.playback_events ?? 0) === 8, 'plays stored');
}, 60_000);

afterAll(async () => {
  await sink?.stop();
  await bus?.close();
  await warehouse?.drop();
  await plex.stop();
  await jellyfin.stop();
});

describe('library analytics from library snapshots', () => {
  const library = () => new LibraryQueries(warehouse);

  it('counts items and sizes per library, read page by page', async () => {
    expect(await library().libraries()).toEqual([
      { serverId: 'jf', libraryId: '1', libraryTitle: 'Movies', items: 1, sizeBytes: 30e9, durationMs: 7_200_000 },
      { serverId: 'jf', libraryId: '2', libraryTitle: 'TV Shows', items: 1, sizeBytes: 2e9, durationMs: 3_000_000 },
      { serverId: 'plex', libraryId: '1', libraryTitle: 'Movies', items: 4, sizeBytes: 59e9, durationMs: 28_800_000 },
      { serverId: 'plex', libraryId: '2', libraryTitle: 'TV Shows', items: 7, sizeBytes: 14e9, durationMs: 21_000_000 },
      { serverId: 'plex', libraryId: '4', libraryTitle: '4K Movies', items: 1, sizeBytes: 30e9, durationMs: 7_200_000 },
    ]);
  });

  it('distributes items by resolution and codec', async () => {
    expect(await library().distribution('resolution')).toEqual([
      { key: '1080', items: 11, sizeBytes: 35e9 },
      { key: '4k', items: 3, sizeBytes: 100e9 },
    ]);
    expect((await library().distribution('videoCodec')).map((d) => [d.key, d.items])).toEqual([
      ['h264', 10],
      ['hevc', 4],
    ]);
  });

  it('ranks the most watched items, one line per item whatever the servers holding it', async () => {
    expect(
      (await library().mostWatched(5)).map((i) => [i.identity, i.title, i.year, i.servers, i.plays, i.watchMs]),
    ).toEqual([
      ['MOVIE|imdb:tt1160419', 'Dune', 2021, ['jf', 'plex'], 2, 135_000],
      ['MOVIE|imdb:tt0113277', 'Heat', 1995, ['plex'], 2, 90_000],
    ]);
  });

  it('lists the copies never watched, largest first, episodes with their numbers', async () => {
    const never = await library().neverWatched(4);
    expect(never.map((i) => [i.serverId, i.itemId, i.title, i.year])).toEqual([
      ['plex', '104', 'Heat', 1995],
      ['plex', '103', 'Alien', 1979],
      ['plex', '105', 'Dune', 1984],
      ['plex', '200', 'Chapter 1', 2019],
    ]);
    expect(never[3]).toMatchObject({ grandparentTitle: 'Dark', seasonNumber: 1, episodeNumber: 1 });
  });

  it('tells an item held twice on one server from the same item on several servers', async () => {
    // Heat in Movies and in 4K Movies on Plex is a duplicate; Dune (2021) and Dark S01E05 on Plex
    // and Jellyfin are not, and Dune (1984) is another film.
    expect(await library().duplicates()).toEqual([
      {
        identity: 'MOVIE|imdb:tt0113277',
        title: 'Heat',
        grandparentTitle: '',
        mediaType: 'MOVIE',
        year: 1995,
        seasonNumber: null,
        episodeNumber: null,
        servers: ['plex'],
        copies: 2,
        sizeBytes: 38e9,
        items: ['plex:102', 'plex:104'],
        // A copy's poster, from the library snapshot (the connectors read each item's thumb).
        imageServer: 'plex',
        imageRef: expect.stringMatching(/^\/library\/metadata\/10[24]\/thumb\/\d+$/),
      },
    ]);
    expect(
      (await library().onSeveralServers()).map((i) => [
        i.identity,
        i.grandparentTitle,
        i.seasonNumber,
        i.episodeNumber,
        i.title,
        i.servers,
        i.items,
      ]),
    ).toEqual([
      ['MOVIE|imdb:tt1160419', '', null, null, 'Dune', ['jf', 'plex'], ['jf:j-dune', 'plex:101']],
      ['EPISODE|imdb:tt5753515', 'Dark', 1, 5, 'Chapter 5', ['jf', 'plex'], ['jf:j-dark-5', 'plex:204']],
    ]);
  });

  it('matches items without outside ids (stored before snapshots carried them) by series and episode, or title and year', async () => {
    const row = (server: string, item: string, fields: Record<string, unknown>) => ({
      server_id: server,
      library_id: '1',
      item_id: item,
      library_title: 'Old',
      media_type: 'EPISODE',
      snapshot_at: '2026-01-01 00:00:00.000',
      ...fields,
    });
    await warehouse.client.insert({
      table: warehouse.table('library_items'),
      values: [
        row('old-a', 'e1', { title: 'Chapter 5', grandparent_title: 'Dark', season_number: 1, episode_number: 5 }),
        row('old-b', 'e2', { title: 'Kapitel 5', grandparent_title: ' dark', season_number: 1, episode_number: 5 }),
        row('old-a', 'm1', { media_type: 'MOVIE', title: 'Heat', year: 1995 }),
        row('old-b', 'm2', { media_type: 'MOVIE', title: 'heat ', year: 1995 }),
        row('old-b', 'm3', { media_type: 'MOVIE', title: 'Heat', year: 1986 }),
      ],
      format: 'JSONEachRow',
    });
    expect((await library().onSeveralServers(['old-a', 'old-b'])).map((i) => [i.identity, i.items]).sort()).toEqual([
      ['EPISODE|title:dark|s1e5', ['old-a:e1', 'old-b:e2']],
      ['MOVIE|title:|heat|1995', ['old-a:m1', 'old-b:m2']],
    ]);
  });

  it('marks items a later complete snapshot no longer lists as removed', async () => {
    plex.items.splice(
      plex.items.findIndex((i) => i.id === '103'),
      1,
    );
    await syncAll();
    const plexMovies = (await library().libraries()).find((l) => l.serverId === 'plex' && l.libraryId === '1');
    expect(plexMovies).toMatchObject({ items: 3, sizeBytes: 53e9 });
    expect((await library().neverWatched(10)).map((i) => i.itemId)).not.toContain('103');

    // A removed episode keeps what it was: its numbers, outside ids and poster stay on the removed row.
    plex.items.splice(
      plex.items.findIndex((i) => i.id === '201'),
      1,
    );
    await syncAll();
    const result = await warehouse.client.query({
      query: `SELECT removed, season_number, episode_number, external_ids, image_ref FROM ${warehouse.table('library_items')} FINAL
              WHERE server_id = 'plex' AND item_id = '201'`,
      format: 'JSONEachRow',
    });
    const [removed] = await result.json<Record<string, unknown>>();
    expect(removed).toMatchObject({ removed: true, season_number: 1, episode_number: 2 });
    expect((removed!.external_ids as string[]).length).toBeGreaterThan(0);
    expect(removed!.image_ref).not.toBe('');
  });
});
