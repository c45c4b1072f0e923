import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/bus-contract.ts';
import { consumeTopic } from '../bus/typed.ts';
import type { BusConsumer } from '../bus/types.ts';
import { createLogger } from '../core/logger.ts';
import { allTopics, topics, type PlaybackEvent, type ServerMetricsSample } from '../schemas/index.ts';
import { newKafkaBus } from '../testing/kafka.ts';
import { DEVICES, episode, movie, user } from './fakes/catalog.ts';
import { FakeMediaBrowserServer } from './fakes/fake-mediabrowser.ts';
import { FakePlexServer } from './fakes/fake-plex.ts';
import { ConnectorRunner } from './runner.ts';

const logger = createLogger('test');
const bus = newKafkaBus();
const consumers: BusConsumer[] = [];
const servers = {
  plex: new FakePlexServer('p-token'),
  jellyfin: new FakeMediaBrowserServer('JELLYFIN', 'j-key'),
  emby: new FakeMediaBrowserServer('EMBY', 'e-key'),
};
let runner: ConnectorRunner | undefined;

afterAll(async () => {
  await runner?.stop();
  for (const c of consumers) await c.stop();
  await bus.close();
  for (const s of Object.values(servers)) await s.stop();
});

describe('connector runner', () => {
  it('watches Plex, Jellyfin and Emby in one process and produces keyed Avro events to Kafka', async () => {
    for (const s of Object.values(servers)) await s.start();
    await bus.ensureTopics(allTopics.map((t) => ({ name: t.name })));
    const run = randomUUID().slice(0, 6);
    const ids = { plex: `plex-${run}`, jellyfin: `jf-${run}`, emby: `emby-${run}` };
    const producer = await bus.producer();
    runner = new ConnectorRunner({
      producer,
      logger,
      clientId: 'sw-test',
      timing: { pollIntervalMs: 150, stopGraceMs: 0 },
    });
    await runner.apply([
      { id: ids.plex, name: 'Plex', type: 'plex', url: servers.plex.url, token: 'p-token', enabled: true },
      {
        id: ids.jellyfin,
        name: 'Jellyfin',
        type: 'jellyfin',
        url: servers.jellyfin.url,
        token: 'j-key',
        enabled: true,
      },
      {
        id: ids.emby,
        name: 'Emby',
        type: 'emby',
        url: servers.emby.url,
        token: 'e-key',
        enabled: true,
        pollIntervalMs: 1000,
      },
    ]);

    const received: PlaybackEvent[] = [];
    const keys: string[] = [];
    consumers.push(
      await consumeTopic(bus, {
        groupId: `runner-test-${run}`,
        spec: topics.playbackEvents,
        deadLetters: producer,
        logger,
        handle: async (records) => {
          for (const r of records) {
            if (!Object.values(ids).includes(r.value.serverId)) continue;
            received.push(r.value);
            keys.push(r.record.key!.toString());
          }
        },
      }),
    );
    const samples: ServerMetricsSample[] = [];
    consumers.push(
      await consumeTopic(bus, {
        groupId: `runner-metrics-${run}`,
        spec: topics.serverMetrics,
        deadLetters: producer,
        logger,
        handle: async (rs) =>
          void samples.push(...rs.map((r) => r.value).filter((s) => Object.values(ids).includes(s.serverId))),
      }),
    );

    const alice = user('42', 'alice');
    const sessions = [
      servers.plex.startSession({ user: alice, item: movie('1', 'Dune'), device: DEVICES.tv(), ip: '198.51.100.1' }),
      servers.jellyfin.startSession({
        user: alice,
        item: episode('2', 'Dark', 1, 1, 'Secrets'),
        device: DEVICES.browser(),
        ip: '198.51.100.2',
      }),
      servers.emby.startSession({
        user: user('99', 'zed'),
        item: movie('3', 'Heat'),
        device: DEVICES.phone(),
        ip: '198.51.100.3',
      }),
    ];
    await waitFor(() => received.filter((e) => e.eventType === 'STARTED').length === 3, 'three starts', 30_000);
    sessions[0]!.pause();
    for (const s of sessions) s.stop();
    await waitFor(() => received.filter((e) => e.eventType === 'STOPPED').length === 3, 'three stops', 30_000);

    expect(received.every((e, i) => keys[i] === e.accountKey)).toBe(true);
    expect(new Set(received.map((e) => e.accountKey))).toEqual(
      new Set([`${ids.plex}:42`, `${ids.jellyfin}:42`, `${ids.emby}:99`]),
    );
    for (const key of new Set(keys)) {
      const kinds = received.filter((e) => e.accountKey === key).map((e) => e.eventType);
      expect(kinds[0]).toBe('STARTED');
      expect(kinds.at(-1)).toBe('STOPPED');
      const times = received.filter((e) => e.accountKey === key).map((e) => e.observedAt);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    }
    expect(new Set(received.map((e) => e.serverType))).toEqual(new Set(['PLEX', 'JELLYFIN', 'EMBY']));
    await waitFor(() => new Set(samples.map((s) => s.serverId)).size === 3, 'a metrics sample per server');
    expect(samples.find((s) => s.serverId === ids.plex)).toMatchObject({ status: 'UP', hostCpuPercent: 23.5 });
    expect(runner.statuses().map((s) => s.status)).toEqual(['UP', 'UP', 'UP']);

    await runner.apply([
      { id: ids.plex, name: 'Plex', type: 'plex', url: servers.plex.url, token: 'p-token', enabled: true },
    ]);
    expect(runner.statuses().map((s) => s.serverId)).toEqual([ids.plex]);
  });
});
