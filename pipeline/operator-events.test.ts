// Plays and server samples become operator events: one per change, with ids that a replay finds
// again; on the real broker, the stage publishes them on the events topic.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedBus } from '../bus/embedded/embedded-bus.ts';
import { DEVICES, movie, user } from '../connectors/fakes/catalog.ts';
import { FakeMediaBrowserServer } from '../connectors/fakes/fake-mediabrowser.ts';
import { ConnectorRunner } from '../connectors/runner.ts';
import { consumeTopic, publish } from '../bus/typed.ts';
import { createLogger } from '../core/logger.ts';
import { allTopics, topics, type OperatorEvent } from '../schemas/index.ts';
import { waitFor } from '../testing/bus-contract.ts';
import { samplePlaybackEvent, sampleServerMetrics } from '../testing/fixtures.ts';
import { newKafkaBus, uniqueName } from '../testing/kafka.ts';
import {
  eventOfSample,
  eventOfTrustChange,
  eventsOfPlay,
  NewDeviceAndPlace,
  RecentlyAdded,
  type PlayMemory,
} from './operator-events.ts';
import { OperatorEventStage } from './operator-event-stage.ts';
import { sampleTrustScoreChange } from '../testing/fixtures.ts';
import { openTestWarehouse, storeEvents } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import { AccountHistoryQueries } from '../warehouse/queries/account-history.ts';

const logger = createLogger('test');
const bus = newKafkaBus();
afterAll(() => bus.close());

const play = (eventType: 'STARTED' | 'PROGRESS' | 'PAUSED' | 'RESUMED' | 'STOPPED', at: number, transcode = true) =>
  samplePlaybackEvent({
    eventType,
    observedAt: at,
    eventId: `sess-1:${eventType}:${at}`,
    quality: {
      ...samplePlaybackEvent().quality,
      isTranscode: transcode,
      videoDecision: transcode ? 'TRANSCODE' : 'DIRECT_PLAY',
    },
  });

describe('events of plays', () => {
  it('tells each start, pause, resume and stop once, and a transcode once per session', () => {
    const announced = new Map() as PlayMemory;
    const t = Date.UTC(2026, 10, 27, 20, 0);
    const events = [
      play('STARTED', t),
      play('PROGRESS', t + 10_000),
      play('PAUSED', t + 20_000),
      play('RESUMED', t + 30_000),
      play('PROGRESS', t + 40_000),
      play('STOPPED', t + 50_000),
    ].flatMap((e) => eventsOfPlay(e, announced));
    expect(events.map((e) => e.type)).toEqual([
      'STREAM_STARTED',
      'TRANSCODE_STARTED',
      'STREAM_PAUSED',
      'STREAM_RESUMED',
      'STREAM_STOPPED',
    ]);
    const transcode = events[1]!;
    expect(transcode).toMatchObject({
      eventId: 'TRANSCODE_STARTED:plex-home:sess-1',
      accountKey: 'plex-home:42',
      severity: 'INFO',
      details: {
        title: 'Westeros · The Long Night',
        sourceResolution: '4k',
        streamResolution: '1080',
        decision: 'TRANSCODE',
      },
    });
    expect(transcode.details.reasons).toBe('video bitrate exceeds limit');
    expect(events[0]!.summary).toBe('alice started Westeros · The Long Night on Living Room TV');
    // The same records again (a replay): the same ids.
    const fresh = new Map() as PlayMemory;
    const again = [play('STARTED', t), play('PROGRESS', t + 10_000)].flatMap((e) => eventsOfPlay(e, fresh));
    expect(again.map((e) => e.eventId)).toEqual(events.slice(0, 2).map((e) => e.eventId));
  });

  it('tells a pause going on every five minutes it lasts, from the polls that see it paused', () => {
    const memory = new Map() as PlayMemory;
    const t = Date.UTC(2026, 10, 27, 21, 0);
    const at = (type: 'PAUSED' | 'PROGRESS' | 'RESUMED', minutes: number) =>
      samplePlaybackEvent({
        eventType: type,
        observedAt: t + minutes * 60_000,
        eventId: `sess-1:${type}:${minutes}`,
        playState: type === 'RESUMED' ? 'PLAYING' : 'PAUSED',
        quality: { ...samplePlaybackEvent().quality, isTranscode: false },
      });
    const still = [
      at('PAUSED', 0),
      at('PROGRESS', 4),
      at('PROGRESS', 5),
      at('PROGRESS', 6),
      at('PROGRESS', 11),
      at('RESUMED', 12),
      at('PROGRESS', 20),
    ]
      .flatMap((e) => eventsOfPlay(e, memory))
      .filter((e) => e.type === 'STREAM_STILL_PAUSED');
    expect(still.map((e) => [e.details.pausedMinutes, e.eventId])).toEqual([
      ['5', `STREAM_STILL_PAUSED:plex-home:sess-1:${t}:5`],
      ['10', `STREAM_STILL_PAUSED:plex-home:sess-1:${t}:10`],
    ]);
  });

  it('a direct play is no transcode', () => {
    expect(eventsOfPlay(play('STARTED', 1, false), new Map()).map((e) => e.type)).toEqual(['STREAM_STARTED']);
  });
});

describe('events of servers', () => {
  it('tells a change of state, not every sample; a degraded server counts as up', () => {
    const last = new Map<string, string>();
    const sample = (status: 'UP' | 'DOWN' | 'AUTH_FAILED' | 'DEGRADED', minute: number) =>
      eventOfSample(
        sampleServerMetrics({
          status,
          sampleId: `plex-home:${minute}`,
          statusDetail: status === 'DOWN' ? 'ECONNREFUSED' : null,
        }),
        last,
      );
    const told = [
      sample('UP', 0),
      sample('UP', 1),
      sample('DOWN', 2),
      sample('DOWN', 3),
      sample('DEGRADED', 4),
      sample('AUTH_FAILED', 5),
      sample('UP', 6),
    ].filter((e): e is OperatorEvent => e !== null);
    expect(told.map((e) => [e.type, e.eventId, e.severity])).toEqual([
      ['SERVER_UP', 'SERVER_UP:plex-home:0', 'INFO'],
      ['SERVER_DOWN', 'SERVER_DOWN:plex-home:2', 'HIGH'],
      ['SERVER_UP', 'SERVER_UP:plex-home:4', 'INFO'],
      ['SERVER_AUTH_FAILED', 'SERVER_AUTH_FAILED:plex-home:5', 'HIGH'],
      ['SERVER_UP', 'SERVER_UP:plex-home:6', 'INFO'],
    ]);
    expect(told[1]!.details).toEqual({ status: 'DOWN', statusDetail: 'ECONNREFUSED' });
  });
});

describe('titles added to libraries', () => {
  it('tells each library hour once it is over, one event listing its titles, the same id at every sync', () => {
    const H = 3_600_000;
    const snapshotAt = Date.UTC(2026, 10, 27, 10, 20);
    const hour = (n: number) => Date.UTC(2026, 10, 27, 10) - n * H;
    const item = (itemId: string, title: string, addedAt: number, show: string | null = null) => ({
      itemId,
      title,
      mediaType: show ? ('EPISODE' as const) : ('MOVIE' as const),
      grandparentTitle: show,
      year: null,
      seasonNumber: null,
      episodeNumber: null,
      externalIds: [],
      addedAt,
      durationMs: null,
      sizeBytes: null,
      videoResolution: null,
      videoCodec: null,
      audioCodec: null,
      container: null,
      bitrateKbps: null,
      path: null,
      imageRef: null,
    });
    const page = (at: number, n: number, lastPage: boolean, items: ReturnType<typeof item>[]) => ({
      serverId: 'plex-home',
      serverType: 'PLEX' as const,
      libraryId: '1',
      libraryTitle: 'Movies',
      libraryKind: 'movie',
      snapshotAt: at,
      page: n,
      lastPage,
      totalItems: 6,
      items,
    });
    const items = [
      item('a', 'Dune', hour(2) + 60_000),
      item('b', 'Arrival', hour(2) + 120_000),
      item('c', 'Pilot', hour(5), 'Severance'),
      item('d', 'Second', hour(5) + 1, 'Severance'),
      item('e', 'Now', snapshotAt - 60_000),
      item('f', 'Old', snapshotAt - 3 * 24 * H),
    ];
    const added = new RecentlyAdded();
    expect(added.eventsOf(page(snapshotAt, 0, false, items.slice(0, 3)))).toEqual([]);
    const told = added.eventsOf(page(snapshotAt, 1, true, items.slice(3)));
    expect(told.map((e) => [e.eventId, e.details.count, e.details.titles])).toEqual([
      [`RECENTLY_ADDED:plex-home:1:${hour(2)}`, '2', 'Dune, Arrival'],
      [`RECENTLY_ADDED:plex-home:1:${hour(5)}`, '2', 'Severance'],
    ]);
    expect(told[0]!.summary).toBe('2 added to Movies: Dune, Arrival');
    // The next sync, after the hour of "Now": that hour is told; the others again with their ids.
    const next = added.eventsOf(page(snapshotAt + H, 0, true, items));
    expect(next.map((e) => e.eventId).sort()).toEqual(
      [hour(0), hour(2), hour(5)].map((h) => `RECENTLY_ADDED:plex-home:1:${h}`).sort(),
    );
  });
});

describe('events of trust scores', () => {
  const change = (previousScore: number, newScore: number) =>
    eventOfTrustChange(sampleTrustScoreChange({ changeId: `c-${previousScore}-${newScore}`, previousScore, newScore }));
  it('tells the furthest threshold crossed, down or up, and nothing within a band', () => {
    expect(change(80, 78)).toBeNull();
    expect(change(80, 70)).toMatchObject({
      type: 'TRUST_THRESHOLD',
      severity: 'LOW',
      details: { threshold: '75', direction: 'DOWN' },
    });
    expect(change(80, 20)).toMatchObject({ severity: 'HIGH', details: { threshold: '25', direction: 'DOWN' } });
    expect(change(60, 45)?.summary).toBe("plex-home:42's trust score fell below 50 (60 -> 45)");
    expect(change(45, 80)).toMatchObject({ severity: 'INFO', details: { threshold: '75', direction: 'UP' } });
  });
});

describe('new devices and places', () => {
  const start = (sessionKey: string, at: number, deviceId: string, city: string | null) =>
    samplePlaybackEvent({
      sessionKey,
      observedAt: at,
      playStartedAt: at,
      device: { ...samplePlaybackEvent().device, deviceId, deviceName: `Device ${deviceId}` },
      geoSource: city ? 'dbip-lite' : null,
      location: city
        ? { countryCode: 'DE', region: null, city, latitude: null, longitude: null, accuracyRadiusKm: null }
        : null,
    });

  it(
    "tells a device or a place an account never used, read from the warehouse; an account's first play is no news",
    { timeout: 60_000 },
    async () => {
      const warehouse = await openTestWarehouse();
      try {
        await migrate(warehouse, logger);
        const t = Date.UTC(2026, 10, 20, 20, 0);
        // Stored: one play on the TV in Berlin, a week before.
        const earlier = start('old', t - 7 * 86_400_000, 'tv', 'Berlin');
        await storeEvents(warehouse, [earlier]);
        const queries = new AccountHistoryQueries(warehouse);
        expect(await queries.before(['plex-home:42'], t)).toEqual({
          plays: 1,
          devices: ['tv'],
          places: ['DE|Berlin'],
        });
        const news = new NewDeviceAndPlace((a, b) => queries.before(a, b));
        const told = await news.eventsOf([
          start('s1', t, 'tv', 'Berlin'),
          start('s2', t + 60_000, 'phone', 'Berlin'),
          start('s3', t + 120_000, 'phone', 'Hamburg'),
          start('s4', t + 180_000, 'phone', 'Hamburg'),
          start('s5', t + 240_000, 'laptop', null),
        ]);
        expect(told.map((e) => [e.type, e.eventId])).toEqual([
          ['NEW_DEVICE', 'NEW_DEVICE:plex-home:42:phone'],
          ['NEW_LOCATION', 'NEW_LOCATION:plex-home:42:DE|Hamburg'],
          ['NEW_DEVICE', 'NEW_DEVICE:plex-home:42:laptop'],
        ]);
        expect(told[0]!.summary).toBe(
          'alice plays on a new device: Westeros · The Long Night on Device phone (Berlin, DE)',
        );
        // A new account: its first play is no news, its second device is.
        const fresh = new NewDeviceAndPlace((a, b) => queries.before(a, b));
        const newcomer = (key: string, at: number, device: string) => ({
          ...start(key, at, device, 'Berlin'),
          accountKey: 'plex-home:77',
        });
        expect(
          (await fresh.eventsOf([newcomer('n1', t, 'tv'), newcomer('n2', t + 1, 'tv')])).map((e) => e.type),
        ).toEqual([]);
        expect((await fresh.eventsOf([newcomer('n3', t + 2, 'phone')])).map((e) => e.type)).toEqual(['NEW_DEVICE']);
        // A person: alice's second account (on Jellyfin) linked to plex-home:42. The TV in Berlin is
        // no news for her there; a tablet is, once for the person.
        const linked = new NewDeviceAndPlace((a, b) => queries.before(a, b));
        linked.updatePeople((personId) => (personId === 'alice' ? ['plex-home:42', 'jf:alice'] : []));
        const onJellyfin = (key: string, at: number, device: string) => ({
          ...start(key, at, device, 'Berlin'),
          serverId: 'jf',
          accountKey: 'jf:alice',
          personId: 'alice',
        });
        const personal = await linked.eventsOf([onJellyfin('j1', t, 'tv'), onJellyfin('j2', t + 1, 'tablet')]);
        expect(personal.map((e) => [e.type, e.eventId, e.personId])).toEqual([
          ['NEW_DEVICE', 'NEW_DEVICE:person:alice:tablet', 'alice'],
        ]);
      } finally {
        await warehouse.drop();
      }
    },
  );
});

describe('the stage on the real broker', () => {
  it('publishes the events of plays and samples on the events topic', { timeout: 90_000 }, async () => {
    const names = {
      playbackEvents: uniqueName('oe-plays'),
      serverMetrics: uniqueName('oe-servers'),
      trustScoreChanges: uniqueName('oe-trust'),
      librarySnapshots: uniqueName('oe-library'),
      events: uniqueName('oe-events'),
    };
    await bus.ensureTopics([
      { name: names.playbackEvents, partitions: 2 },
      { name: names.serverMetrics, partitions: 2 },
      { name: names.trustScoreChanges, partitions: 1 },
      { name: names.librarySnapshots, partitions: 1 },
      { name: names.events, partitions: 2 },
      { name: topics.deadLetter.name, partitions: 1 },
    ]);
    const stage = new OperatorEventStage({ bus, logger, groupId: uniqueName('oe'), topicNames: names });
    // The connectors know no people: the stage names the person of a linked account.
    stage.updatePeople({
      people: {
        'person-1': {
          personId: 'person-1',
          name: 'Alice',
          accountKeys: [play('STARTED', 0).accountKey],
          createdAt: 0,
          updatedAt: 0,
          updatedBy: 'admin',
        },
      },
      dismissed: [],
      version: 1,
    });
    await stage.start();
    const producer = await bus.producer();
    const t = Date.now();
    await publish(producer, { ...topics.playbackEvents, name: names.playbackEvents }, [
      play('STARTED', t),
      play('STOPPED', t + 60_000),
    ]);
    await publish(producer, { ...topics.serverMetrics, name: names.serverMetrics }, [
      sampleServerMetrics({ status: 'DOWN', sampleId: 'plex-home:a', statusDetail: 'timeout' }),
    ]);
    const seen: OperatorEvent[] = [];
    const reader = await consumeTopic(bus, {
      groupId: uniqueName('oe-reader'),
      spec: { ...topics.events, name: names.events },
      deadLetters: producer,
      logger,
      fromBeginning: true,
      handle: async (records) => void seen.push(...records.map((r) => r.value)),
    });
    await waitFor(() => seen.length >= 4, 'four events on the events topic', 60_000);
    expect(seen.map((e) => e.type).sort()).toEqual([
      'SERVER_DOWN',
      'STREAM_STARTED',
      'STREAM_STOPPED',
      'TRANSCODE_STARTED',
    ]);
    expect(seen.filter((e) => e.type !== 'SERVER_DOWN').map((e) => e.personId)).toEqual([
      'person-1',
      'person-1',
      'person-1',
    ]);
    expect(await stage.drain(30_000)).toBe(true);
    await reader.stop();
    await stage.stop();
    await producer.close();
  });
});

describe('a long pause on a media server', () => {
  it(
    'is told at five and ten minutes, once each, from what the connectors see (their clock moved on)',
    { timeout: 90_000 },
    async () => {
      const jellyfin = new FakeMediaBrowserServer('JELLYFIN', 'pause-key', 'Pause Jellyfin');
      await jellyfin.start();
      const embedded = new EmbeddedBus({ dir: mkdtempSync(join(tmpdir(), 'sw-pause-')), logger });
      await embedded.ensureTopics(allTopics.map((t) => ({ name: t.name })));
      // The connectors' clock, moved on by hand: minutes of pause without waiting for them.
      let clock = Date.now();
      const runner = new ConnectorRunner({
        producer: await embedded.producer(),
        logger,
        clientId: 'sw-test',
        timing: { pollIntervalMs: 100, feedPollIntervalMs: 100, metricsIntervalMs: 60_000 },
        librarySync: null,
        now: () => clock,
      });
      const stage = new OperatorEventStage({ bus: embedded, logger, groupId: 'pause-stage' });
      const seen: OperatorEvent[] = [];
      const reader = await consumeTopic(embedded, {
        groupId: 'pause-reader',
        spec: topics.events,
        deadLetters: await embedded.producer(),
        logger,
        fromBeginning: true,
        handle: async (records) => void seen.push(...records.map((r) => r.value)),
      });
      try {
        await stage.start();
        await runner.apply([
          { id: 'jf-pause', name: 'Pause', type: 'jellyfin', url: jellyfin.url, token: 'pause-key', enabled: true },
        ]);
        const session = jellyfin.startSession({
          user: user('u-9', 'gus'),
          item: movie('m-9', 'Ran'),
          device: DEVICES.tv(),
          ip: '81.2.69.142',
        });
        await waitFor(() => seen.some((e) => e.type === 'STREAM_STARTED'), 'the start told');
        session.pause();
        await waitFor(() => seen.some((e) => e.type === 'STREAM_PAUSED'), 'the pause told');
        const polls = () => runner.statuses()[0]!.counters.polls;
        const afterPolls = async (n: number) => {
          const from = polls();
          await waitFor(() => polls() >= from + n, `${n} more polls`);
        };
        clock += 4 * 60_000;
        await afterPolls(3);
        expect(seen.filter((e) => e.type === 'STREAM_STILL_PAUSED')).toEqual([]);
        clock += 2 * 60_000;
        await waitFor(() => seen.some((e) => e.type === 'STREAM_STILL_PAUSED'), 'five minutes told');
        await afterPolls(3);
        clock += 5 * 60_000;
        await waitFor(() => seen.filter((e) => e.type === 'STREAM_STILL_PAUSED').length === 2, 'ten minutes told');
        await afterPolls(3);
        const still = seen.filter((e) => e.type === 'STREAM_STILL_PAUSED');
        expect(still.map((e) => e.details.pausedMinutes)).toEqual(['5', '10']);
        expect(still[0]).toMatchObject({ serverId: 'jf-pause', accountKey: 'jf-pause:u-9' });
      } finally {
        await reader.stop();
        await stage.stop();
        await runner.stop();
        await embedded.close();
        await jellyfin.stop();
      }
    },
  );
});
