// Events of plays and servers over the real Kafka broker to local HTTP receivers: each routed to
// the channels that ask for its type and pass their server filter, once per event and channel
// across a restart that replays everything; a grouping channel gets one message per type and
// window; quiet hours hold what is not urgent until they end; a server's state is told only when
// it changes.
import { createServer, type Server } from 'node:http';
import { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publish } from '../bus/typed.ts';
import type { KafkaBus } from '../bus/kafka.ts';
import { createLogger } from '../core/logger.ts';
import { SecretBox } from '../core/secret-box.ts';
import { eventOfSample, eventsOfPlay, type PlayMemory } from '../pipeline/operator-events.ts';
import { topics, type OperatorEvent } from '../schemas/index.ts';
import { waitFor } from '../testing/bus-contract.ts';
import { samplePlaybackEvent, sampleServerMetrics } from '../testing/fixtures.ts';
import { newKafkaBus, testBrokers, uniqueName } from '../testing/kafka.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { ConfigDocuments } from '../warehouse/config-documents.ts';
import { migrate } from '../warehouse/migrations.ts';
import { ChannelStore, type Channel } from './channels.ts';
import { EventNotifier } from './event-notifier.ts';

const logger = createLogger('test');
const received = new Map<string, string[]>();
let http: Server;
let base: string;
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let bus: KafkaBus;
let store: ChannelStore;

beforeAll(async () => {
  http = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.set(req.url!, [...(received.get(req.url!) ?? []), body]);
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
  bus = newKafkaBus();
  store = new ChannelStore({
    documents: new ConfigDocuments(warehouse, 0),
    secrets: new SecretBox('event-notifier-test-key'),
  });
  const add = (path: string, routing: Omit<Partial<Channel>, 'settings'>) =>
    store.save(
      {
        name: path,
        type: 'webhook',
        settings: {
          url: `${base}${path}`,
          bodyTemplate: '{"title": "{{rule}}", "text": "{{summary}}", "list": "{{evidence}}"}',
        },
        ...routing,
      },
      'admin',
    );
  await add('/plays', { events: ['STREAM_STARTED', 'TRANSCODE_STARTED'], servers: ['plex-home'] });
  await add('/elsewhere', { events: ['STREAM_STARTED'], servers: ['jellyfin-1'] });
  await add('/findings', {});
  await add('/grouped', { events: ['STREAM_STARTED'], groupMinutes: 5 });
  await add('/quiet', { events: ['STREAM_STARTED', 'SERVER_DOWN'], quietHours: { from: '23:00', to: '07:00' } });
  await add('/servers', { events: ['SERVER_DOWN', 'SERVER_UP', 'SERVER_AUTH_FAILED'] });
}, 120_000);

afterAll(async () => {
  await bus?.close();
  await new Promise((resolve) => http.close(resolve));
  await warehouse?.drop();
});

const count = (path: string) => received.get(path)?.length ?? 0;
const bodies = (path: string) => (received.get(path) ?? []).map((b) => JSON.parse(b) as Record<string, string>);

describe('event alerts', () => {
  it(
    'routes, groups, holds in quiet hours and tells each event once per channel across a replay',
    { timeout: 120_000 },
    async () => {
      const eventsTopic = uniqueName('alert-events');
      await bus.ensureTopics([
        { name: eventsTopic, partitions: 1 },
        { name: topics.deadLetter.name, partitions: 1 },
      ]);
      const producer = await bus.producer();
      const spec = { ...topics.events, name: eventsTopic };
      const groupId = uniqueName('event-alerts');
      // 23:30 UTC: in the quiet channel's quiet hours.
      let clock = Date.UTC(2026, 10, 27, 23, 30);
      const start = async () => {
        const notifier = new EventNotifier({
          bus,
          warehouse,
          channels: store,
          settings: async () => ({ timeZone: 'UTC', defaultLanguage: 'en' }),
          logger,
          groupId,
          eventsTopic,
          retry: { attempts: 2, baseMs: 10 },
          flushEveryMs: 3_600_000,
          now: () => clock,
        });
        await notifier.start();
        return notifier;
      };

      const announced = new Map() as PlayMemory;
      const plays: OperatorEvent[] = ['a', 'b', 'c'].flatMap((session, i) =>
        eventsOfPlay(
          samplePlaybackEvent({ sessionKey: session, userName: `viewer ${i}`, observedAt: clock - 60_000 + i }),
          announced,
        ),
      );
      const states = new Map<string, string>();
      const servers = (['UP', 'DOWN', 'DOWN', 'UP'] as const)
        .map((status, i) =>
          eventOfSample(
            sampleServerMetrics({ status, sampleId: `plex-home:${i}`, sampledAt: clock - 60_000 + i * 1000 }),
            states,
          ),
        )
        .filter((e): e is OperatorEvent => e !== null);

      const first = await start();
      await publish(producer, spec, [...plays, ...servers]);
      await waitFor(() => count('/plays') === 6 && count('/servers') === 2, 'the plays and the server states', 30_000);
      await waitFor(() => count('/quiet') === 1, 'the down server through quiet hours', 30_000);
      expect(bodies('/plays').map((b) => b.title)).toEqual([
        'Stream started',
        'Transcode started',
        'Stream started',
        'Transcode started',
        'Stream started',
        'Transcode started',
      ]);
      expect(bodies('/plays')[0]!.text).toBe('viewer 0 started Westeros · The Long Night on Living Room TV');
      // The first state a channel hears of a server is never "up"; then each change once.
      expect(bodies('/servers').map((b) => b.title)).toEqual(['Server down', 'Server up']);
      expect(bodies('/quiet').map((b) => b.title)).toEqual(['Server down']);
      expect(count('/grouped')).toBe(0);
      await first.flush();
      // Held: the window of five minutes has not passed, the quiet hours have not ended.
      expect(count('/grouped')).toBe(0);
      expect(count('/quiet')).toBe(1);
      await first.stop();

      // A crash before the commit: everything is handed out again, plus a new start.
      const admin = new Kafka({ brokers: testBrokers(), logLevel: 0 }).admin();
      await admin.connect();
      await admin.resetOffsets({ groupId, topic: eventsTopic, earliest: true });
      await admin.disconnect();
      const later = eventsOfPlay(
        samplePlaybackEvent({ sessionKey: 'd', userName: 'viewer 3', observedAt: clock }),
        announced,
      );
      const second = await start();
      await publish(producer, spec, later);
      await waitFor(() => count('/plays') === 8, 'the new play', 30_000);
      await new Promise((r) => setTimeout(r, 1000));
      expect(count('/plays')).toBe(8);
      expect(count('/servers')).toBe(2);
      expect(second.stats.skippedAsDone).toBeGreaterThan(0);

      // Six minutes on, still before seven: the grouping window is over, the quiet hours are not.
      clock += 6 * 60_000;
      await second.flush();
      expect(count('/grouped')).toBe(1);
      const group = bodies('/grouped')[0]!;
      expect(group.title).toBe('4 streams started');
      expect(group.list!.split('\n')).toHaveLength(4);
      expect(group.list).toContain('viewer 3 started Westeros');
      expect(count('/quiet')).toBe(1);
      // 07:05: the quiet hours are over; what they held goes as one message, once.
      clock = Date.UTC(2026, 10, 28, 7, 5);
      await second.flush();
      await second.flush();
      expect(count('/quiet')).toBe(2);
      expect(bodies('/quiet')[1]!.title).toBe('4 streams started');
      expect(count('/grouped')).toBe(1);
      expect(count('/elsewhere')).toBe(0);
      expect(count('/findings')).toBe(0);
      await second.stop();
      await producer.close();
    },
  );
});
