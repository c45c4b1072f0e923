// The scheduled digest: its period in the install's zone, its figures from the warehouse, its
// e-mail as a page (looked at in Chromium, screenshot in dashboard/screenshots) with names kept
// as text, delivered by SMTP once per channel and period, also by a second process.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaBus } from '../bus/kafka.ts';
import { createLogger } from '../core/logger.ts';
import { SecretBox } from '../core/secret-box.ts';
import { launchBrowser } from '../testing/browser.ts';
import { samplePlaybackEvent } from '../testing/fixtures.ts';
import { newKafkaBus, uniqueName } from '../testing/kafka.ts';
import { openTestWarehouse, storeEvents } from '../testing/warehouse.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../testing/smtp.ts';
import { ConfigDocuments } from '../warehouse/config-documents.ts';
import { migrate } from '../warehouse/migrations.ts';
import { DigestQueries } from '../warehouse/queries/digest.ts';
import { ChannelStore } from './channels.ts';
import { digestPeriod, renderDigest } from './digest.ts';
import { EventNotifier } from './event-notifier.ts';
import { MOVIES, movie } from '../connectors/fakes/catalog.ts';
import { FakePlexServer } from '../connectors/fakes/fake-plex.ts';
import { ImageProxy } from '../connectors/image-proxy.ts';
import { PlexClient } from '../connectors/plex.ts';
import { libraryItemRows } from '../warehouse/rows.ts';

const logger = createLogger('test');
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let bus: KafkaBus;
let smtp: SmtpReceiver;
const plex = new FakePlexServer('digest-plex-token');
// Titles added yesterday, read from the Plex fake as the library sync reads them: posters for the digest.
let posters: ImageProxy;
// Thursday 26 November 2026 in Berlin; the digest is sent on Friday from 08:00.
const yesterday = Date.UTC(2026, 10, 26, 19, 0);

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  await plex.start();
  plex.addLibrary(MOVIES, [
    movie('901', 'Perfect Days', { addedAt: yesterday + 3_600_000 }),
    movie('902', 'No Poster Here', { addedAt: yesterday + 7_200_000, noArt: true }),
  ]);
  posters = new ImageProxy({
    servers: async () => [
      { id: 'plex-home', name: 'Home', type: 'plex', url: plex.url, token: 'digest-plex-token', enabled: true },
    ],
    clientId: 'digest-test',
  });
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
  bus = newKafkaBus();
  // Plays: two last week (so these accounts are known), three yesterday, one on a new device.
  const play = (sessionKey: string, at: number, user: string, device: string, title: string) => {
    const started = samplePlaybackEvent({
      sessionKey,
      observedAt: at,
      playStartedAt: at,
      accountKey: `plex-home:${user}`,
      userId: user,
      userName: user,
      device: { ...samplePlaybackEvent().device, deviceId: device, deviceName: device },
      media: { ...samplePlaybackEvent().media, title, grandparentTitle: null },
    });
    const stopped = {
      ...started,
      eventType: 'STOPPED' as const,
      eventId: `${sessionKey}:stop`,
      observedAt: at + 3_600_000,
      playedMs: 3_600_000,
    };
    return [started, stopped];
  };
  await storeEvents(warehouse, [
    ...play('w1', yesterday - 5 * 86_400_000, '<b>mallory</b>', 'tv', 'Heat'),
    ...play('w2', yesterday - 5 * 86_400_000, 'bob', 'tv', 'Heat'),
    ...play('y1', yesterday, '<b>mallory</b>', 'tv', 'Arrival'),
    ...play('y2', yesterday + 60_000, '<b>mallory</b>', 'phone', 'Arrival'),
    ...play('y3', yesterday + 120_000, 'bob', 'tv', 'Dune'),
  ]);
  const { items } = await new PlexClient({ url: plex.url, token: 'digest-plex-token', clientId: 'x' }).libraryItems(
    MOVIES.id,
    0,
    50,
  );
  const page = {
    serverId: 'plex-home',
    serverType: 'PLEX' as const,
    libraryId: MOVIES.id,
    libraryTitle: MOVIES.title,
    libraryKind: 'movie',
    snapshotAt: yesterday + 8 * 3_600_000,
    page: 0,
    lastPage: true,
    totalItems: items.length,
    items,
  };
  const record = { topic: 'test', partition: 0, offset: '0', key: null, value: null, headers: {}, timestamp: 0 };
  await warehouse.client.insert({
    table: warehouse.table('library_items'),
    values: libraryItemRows(page, record),
    format: 'JSONEachRow',
  });
}, 120_000);

afterAll(async () => {
  posters?.close();
  await plex.stop();
  await bus?.close();
  await smtp?.close();
  await warehouse?.drop();
});

describe('the digest', () => {
  it('covers yesterday (daily) or last Monday to Sunday (weekly) in the zone, due from 08:00', () => {
    const friday7 = Date.UTC(2026, 10, 27, 6, 0); // 07:00 in Berlin
    expect(digestPeriod('daily', friday7, 'Europe/Berlin')).toEqual({
      from: Date.UTC(2026, 10, 25, 23, 0),
      to: Date.UTC(2026, 10, 26, 23, 0),
      due: false,
      key: 'digest:daily:2026-11-26',
    });
    expect(digestPeriod('daily', friday7 + 3_600_000, 'Europe/Berlin').due).toBe(true);
    expect(digestPeriod('weekly', friday7, 'Europe/Berlin')).toMatchObject({
      from: Date.UTC(2026, 10, 15, 23, 0),
      to: Date.UTC(2026, 10, 22, 23, 0),
      due: true,
      key: 'digest:weekly:2026-11-16',
    });
  });

  it(
    'counts the period from the warehouse and renders a page that keeps names as text',
    { timeout: 60_000 },
    async () => {
      const period = digestPeriod('daily', Date.UTC(2026, 10, 27, 8, 0), 'Europe/Berlin');
      const figures = await new DigestQueries(warehouse).figures(period.from, period.to);
      expect(figures).toMatchObject({
        plays: 3,
        watchHours: 3,
        accounts: 2,
        topTitles: [
          { title: 'Arrival', plays: 2 },
          { title: 'Dune', plays: 1 },
        ],
        newDevices: [{ user: '<b>mallory</b>', device: 'phone' }],
        recentlyAdded: [
          { title: 'No Poster Here', items: 1, poster: null },
          { title: 'Perfect Days', items: 1, poster: { serverId: 'plex-home', imageRef: expect.any(String) } },
        ],
      });
      const digest = renderDigest('daily', figures, { language: 'en', instance: 'Home', period: '26 Nov 2026' });
      expect(digest.html).toContain('&lt;b&gt;mallory&lt;/b&gt; · phone');
      expect(digest.html).not.toContain('<b>mallory');
      expect(digest.text.split('\n')[0]).toBe('3 plays, 3 hours watched by 2 accounts');

      const browser = await launchBrowser();
      try {
        const page = await browser.newPage({ viewport: { width: 720, height: 900 } });
        await page.setContent(digest.html);
        expect(await page.textContent('h1')).toBe('Daily digest');
        expect(await page.locator('li', { hasText: 'mallory' }).first().textContent()).toContain('<b>mallory</b>');
        const folder = join(import.meta.dirname, '../dashboard/screenshots');
        mkdirSync(folder, { recursive: true });
        await page.screenshot({ path: join(folder, 'digest-email.png'), fullPage: true });
      } finally {
        await browser.close();
      }
    },
  );

  it(
    'is e-mailed as a page with a text part, once per channel and day, also by a second process',
    { timeout: 60_000 },
    async () => {
      const store = new ChannelStore({
        documents: new ConfigDocuments(warehouse, 0),
        secrets: new SecretBox('digest-test-secret-key'),
      });
      await store.save(
        {
          name: 'Mail',
          type: 'email',
          events: ['VIOLATION'],
          digest: 'daily',
          settings: {
            host: '127.0.0.1',
            port: smtp.port,
            from: 'Streamwarden <digest@example.org>',
            to: ['admin@example.org'],
          },
        },
        'admin',
      );
      const topic = uniqueName('digest-events');
      await bus.ensureTopics([{ name: topic, partitions: 1 }]);
      const start = async () => {
        const notifier = new EventNotifier({
          bus,
          warehouse,
          channels: store,
          settings: async () => ({ timeZone: 'Europe/Berlin', defaultLanguage: 'en', instanceName: 'Home' }),
          logger,
          groupId: uniqueName('digest'),
          eventsTopic: topic,
          flushEveryMs: 3_600_000,
          now: () => Date.UTC(2026, 10, 27, 8, 0),
          poster: (serverId, ref) => posters.get(serverId, ref, 160),
        });
        await notifier.start();
        return notifier;
      };
      const first = await start();
      await first.flush();
      await first.flush();
      await first.stop();
      const second = await start();
      await second.flush();
      await second.stop();
      expect(smtp.mails).toHaveLength(1);
      expect(smtp.mails[0]).toContain('Subject: =?UTF-8?Q?Home_=C2=B7_Daily_digest');
      expect(smtp.mails[0]).toContain('Content-Type: text/html');
      expect(smtp.mails[0]).toContain('Content-Type: text/plain');
      // The poster of the film added, carried in the message and shown by its content id; the
      // title without one is listed without.
      const mail = smtp.mails[0]!.replace(/=\r?\n/g, '');
      expect(mail).toMatch(/Content-Type: image\/png/);
      expect(mail).toMatch(/Content-ID: <poster-\d@streamwarden>/);
      expect(mail.match(/Content-ID: </g)).toHaveLength(1);
      expect(mail).toMatch(/src=3D"cid:poster-\d@streamwarden"|src="cid:poster-\d@streamwarden"/);
    },
  );
});
