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
  plex.addLibrary(MOVIES, [
    movie('101', 'Dune', { year: 2021, sizeBytes: 40e9, videoHeight: 2160 }),
    movie('102', 'Heat', { year: 1995, sizeBytes: 8e9, videoHeight: 1080, videoCodec: 'h264' }),
    movie('103', 'Alien', { year: 1979, sizeBytes: 6e9, videoHeight: 1080, videoCodec: 'h264' }),
  ]);
  plex.addLibrary(
    SHOWS,
    Array.from({ length: 7 }, (_, i) =>
      episode(String(200 + i), 'Dark', 1, i + 1, `Chapter ${i + 1}`, { sizeBytes: 2e9 }),
    ),
  );
  jellyfin.addLibrary(MOVIES, [movie('j-dune', 'Dune', { year: 2021, sizeBytes: 30e9, videoHeight: 2160 })]);
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
  // Heat was watched twice and Dune once, all on Plex: each play a start and a stop.
  const play = (itemId: string, sessionKey: string, playedMs: number) =>
    (['STARTED', 'STOPPED'] as const).map((eventType) =>
      samplePlaybackEvent({
        eventId: `${sessionKey}-${eventType}`,
        serverId: 'plex',
        accountKey: 'plex:1',
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
  ]);
  await waitFor(() => (sink.stats.rows.playback_events ?? 0) === 6, 'plays stored');
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
      { serverId: 'plex', libraryId: '1', libraryTitle: 'Movies', items: 3, sizeBytes: 54e9, durationMs: 21_600_000 },
      { serverId: 'plex', libraryId: '2', libraryTitle: 'TV Shows', items: 7, sizeBytes: 14e9, durationMs: 21_000_000 },
    ]);
  });

  it('distributes items by resolution and codec', async () => {
    expect(await library().distribution('resolution')).toEqual([
      { key: '1080', items: 9, sizeBytes: 28e9 },
      { key: '4k', items: 2, sizeBytes: 70e9 },
    ]);
    expect((await library().distribution('videoCodec')).map((d) => [d.key, d.items])).toEqual([
      ['h264', 9],
      ['hevc', 2],
    ]);
  });

  it('ranks the most watched items and lists the never watched, largest first', async () => {
    expect((await library().mostWatched(5)).map((i) => [i.itemId, i.title, i.plays, i.watchMs])).toEqual([
      ['102', 'Heat', 2, 90_000],
      ['101', 'Dune', 1, 90_000],
    ]);
    const never = await library().neverWatched(3);
    expect(never.map((i) => i.itemId)).toEqual(['j-dune', '103', '200']);
  });

  it('finds the same title held twice', async () => {
    expect(await library().duplicates()).toEqual([
      { title: 'Dune', year: 2021, mediaType: 'MOVIE', copies: 2, sizeBytes: 70e9, items: ['jf:j-dune', 'plex:101'] },
    ]);
  });

  it('marks items a later complete snapshot no longer lists as removed', async () => {
    plex.items.splice(
      plex.items.findIndex((i) => i.id === '103'),
      1,
    );
    await syncAll();
    const plexMovies = (await library().libraries()).find((l) => l.serverId === 'plex' && l.libraryId === '1');
    expect(plexMovies).toMatchObject({ items: 2, sizeBytes: 48e9 });
    expect((await library().neverWatched(10)).map((i) => i.itemId)).not.toContain('103');
  });
});
