// Alerts over the real Kafka broker to local receivers of every channel type (HTTP for Discord,
// webhooks, ntfy, Apprise and Telegram; SMTP for e-mail): one message per violation and channel,
// across a restart that replays everything.
import { createServer, type Server } from 'node:http';
import { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/bus-contract.ts';
import { publish } from '../bus/typed.ts';
import type { KafkaBus } from '../bus/kafka.ts';
import { DEFAULT_RULES, settingsFor } from '../pipeline/rules/settings.ts';
import { createLogger } from '../core/logger.ts';
import { SecretBox } from '../core/secret-box.ts';
import { topics, type Violation } from '../schemas/index.ts';
import { sampleViolation } from '../testing/fixtures.ts';
import { newKafkaBus, testBrokers, uniqueName } from '../testing/kafka.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../testing/smtp.ts';
import { ConfigDocuments } from '../warehouse/config-documents.ts';
import { migrate } from '../warehouse/migrations.ts';
import { ChannelStore, type Channel } from './channels.ts';
import { Notifier } from './notifier.ts';

const logger = createLogger('test');
const received = new Map<string, Array<{ headers: Record<string, unknown>; body: string }>>();
let http: Server;
let smtp: SmtpReceiver;
let base: string;
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let bus: KafkaBus;
let store: ChannelStore;
const flaky = { failuresLeft: 2 };
const BOT = '123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345';
const PUSHOVER_USER = 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG';
const PUSHOVER_APP = 'azGDORePK8gMaC0QOYAMyEEuzJnyUi';

beforeAll(async () => {
  http = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const path = req.url!.split('?')[0]!;
      if (path === '/flaky' && flaky.failuresLeft > 0) {
        flaky.failuresLeft--;
        res.statusCode = 503;
        return res.end('busy');
      }
      if (path === '/broken') {
        res.statusCode = 400;
        return res.end('{"message":"Invalid Webhook Token"}');
      }
      received.set(path, [...(received.get(path) ?? []), { headers: req.headers, body }]);
      if (path.startsWith('/discord')) res.statusCode = 204;
      res.setHeader('content-type', 'application/json');
      res.end(
        path.includes('/sendMessage')
          ? JSON.stringify({ ok: true, result: { message_id: 1 } })
          : path.startsWith('/discord')
            ? ''
            : '{"success":true}',
      );
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  smtp = await startSmtpReceiver();
  const smtpPort = smtp.port;

  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
  bus = newKafkaBus();
  store = new ChannelStore({
    documents: new ConfigDocuments(warehouse, 0),
    secrets: new SecretBox('notifier-test-secret-key'),
  });
  const add = (channel: Omit<Partial<Channel>, 'settings'> & { settings: Record<string, unknown> }) =>
    store.save(channel, 'admin');
  await add({ name: 'Discord', type: 'discord', settings: { webhookUrl: `${base}/discord/123/abc` } });
  await add({
    name: 'Hook',
    type: 'webhook',
    settings: {
      url: `${base}/hook`,
      headers: { 'x-api-key': 'hook-secret' },
      bodyTemplate: '{"text": "{{user}} tripped {{rule}}", "where": "{{location}}"}',
    },
  });
  await add({ name: 'ntfy', type: 'ntfy', settings: { serverUrl: `${base}/ntfy`, topic: 'streamwarden' } });
  await add({ name: 'Apprise', type: 'apprise', settings: { url: `${base}/apprise/notify/sw`, tag: 'admins' } });
  await add({
    name: 'Telegram',
    type: 'telegram',
    settings: { botToken: BOT, chatId: '-100123', apiBase: `${base}/tg` },
  });
  await add({
    name: 'Mail',
    type: 'email',
    settings: {
      host: '127.0.0.1',
      port: smtpPort,
      secure: false,
      from: 'Streamwarden <alerts@example.org>',
      to: ['admin@example.org'],
    },
  });
  await add({ name: 'Gotify', type: 'gotify', settings: { serverUrl: `${base}/gotify/`, token: 'AbCdEf123' } });
  await add({
    name: 'Pushover',
    type: 'pushover',
    settings: { userKey: PUSHOVER_USER, appToken: PUSHOVER_APP, apiBase: `${base}/pushover` },
  });
  await add({ name: 'Slack', type: 'slack', settings: { webhookUrl: `${base}/slack/T0/B0/secret` } });
  await add({ name: 'Flaky', type: 'webhook', settings: { url: `${base}/flaky` } });
  await add({ name: 'Broken', type: 'discord', settings: { webhookUrl: `${base}/broken` } });
  await add({
    name: 'High only, travel only',
    type: 'webhook',
    rules: ['IMPOSSIBLE_TRAVEL'],
    minSeverity: 'HIGH',
    settings: { url: `${base}/travel` },
  });
}, 120_000);

afterAll(async () => {
  await bus?.close();
  await new Promise((resolve) => http.close(resolve));
  await smtp?.close();
  await warehouse?.drop();
});

const count = (path: string) => received.get(path)?.length ?? 0;
const EVERY = [
  '/discord/123/abc',
  '/hook',
  '/ntfy/',
  '/apprise/notify/sw',
  `/tg/bot${BOT}/sendMessage`,
  '/gotify/message',
  '/pushover/1/messages.json',
  '/slack/T0/B0/secret',
  '/flaky',
];

describe('alerts', () => {
  it('delivers each violation once to every channel, across a restart that replays everything; stops streams for rules that say so', async () => {
    const violationsTopic = uniqueName('alert-violations');
    await bus.ensureTopics([
      { name: violationsTopic, partitions: 2 },
      { name: topics.deadLetter.name, partitions: 1 },
    ]);
    const producer = await bus.producer();
    const spec = { ...topics.violations, name: violationsTopic };
    const groupId = uniqueName('alerts');
    const rules = settingsFor(DEFAULT_RULES, {
      concurrentStreams: { action: 'terminate', terminateMessage: 'Too many streams on this account' },
    });
    const stops: Array<[string, string, string, string]> = [];
    const control = {
      terminate: async (server: string, key: string, message: string, by = '') => (
        stops.push([server, key, message, by]),
        'requested' as const
      ),
    };
    const start = async () => {
      const notifier = new Notifier({
        bus,
        warehouse,
        channels: store,
        rules: () => rules,
        control,
        defaultTerminateMessage: async () => 'Stopped',
        logger,
        groupId,
        violationsTopic,
        retry: { attempts: 4, baseMs: 20 },
      });
      await notifier.start();
      return notifier;
    };
    const now = Date.now();
    const travel: Violation = sampleViolation({
      violationId: 'a'.repeat(32),
      userName: '<b>Mallory</b>',
      detectedAt: now,
    });
    const streams: Violation = sampleViolation({
      violationId: 'b'.repeat(32),
      rule: 'CONCURRENT_STREAMS',
      severity: 'LOW',
      detectedAt: now,
      accountKey: 'plex-home:7',
      sessionKeys: ['s1', 's2', 's3', 's4'],
      summary: '4 streams at once (limit 3)',
    });

    const first = await start();
    await publish(producer, spec, [travel, streams]);
    await waitFor(
      () => EVERY.every((p) => count(p) === 2) && smtp.mails.length === 2 && count('/travel') === 1,
      'every channel to get both alerts',
      30_000,
    );
    await waitFor(() => first.stats.failed === 2, 'the broken channel to be given up on', 30_000);
    await first.stop();

    // A crash before the commit: everything is handed out again, plus a duplicate and a new one.
    const admin = new Kafka({ brokers: testBrokers(), logLevel: 0 }).admin();
    await admin.connect();
    await admin.resetOffsets({ groupId, topic: violationsTopic, earliest: true });
    await admin.disconnect();
    const later = sampleViolation({
      violationId: 'c'.repeat(32),
      userName: 'carol',
      detectedAt: now,
      summary: 'Paris -> Tokyo, 9,700 km in 40 min',
    });
    // A person's finding: its sessions on two servers, with the same keys on both.
    const where = sampleViolation().evidence.locations[0]!;
    const acrossServers = sampleViolation({
      violationId: 'd'.repeat(32),
      rule: 'CONCURRENT_STREAMS',
      severity: 'LOW',
      detectedAt: now,
      accountKey: 'jelly:7',
      serverId: 'jelly',
      personId: '5f0c7a52-8d8e-4b1e-9a51-2f1f0c1d2e3f',
      sessionKeys: ['1', '2'],
      summary: '4 streams at once (limit 3), on 2 servers of one person',
      evidence: {
        ...sampleViolation().evidence,
        locations: ['plex-home', 'jelly'].flatMap((serverId) =>
          ['1', '2'].map((sessionKey) => ({ ...where, serverId, accountKey: `${serverId}:7`, sessionKey })),
        ),
      },
    });
    const second = await start();
    await publish(producer, spec, [travel, later, acrossServers]);
    await waitFor(() => EVERY.every((p) => count(p) === 4) && smtp.mails.length === 4, 'the new alerts', 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    await second.stop();

    for (const path of EVERY) expect(count(path), path).toBe(4);
    expect(smtp.mails).toHaveLength(4);
    expect(count('/travel')).toBe(2);
    expect(second.stats.skippedAsDone).toBeGreaterThan(0);
    expect(stops).toEqual(
      [
        ...['s1', 's2', 's3', 's4'].map((key) => ['plex-home', key]),
        // Each of a person's sessions on its own server.
        ['plex-home', '1'],
        ['plex-home', '2'],
        ['jelly', '1'],
        ['jelly', '2'],
      ].map(([server, key]) => [server, key, 'Too many streams on this account', 'rule:CONCURRENT_STREAMS']),
    );

    // What each receiver got, in its own format; names from media servers stay text.
    const discord = JSON.parse(received.get('/discord/123/abc')![0]!.body) as {
      embeds: Array<{ title: string; description: string; color: number }>;
      allowed_mentions: unknown;
    };
    expect(discord.embeds[0]).toMatchObject({
      title: 'Impossible travel: <b>Mallory</b>',
      description: expect.stringContaining('Boston -> London'),
      color: 0xef4444,
    });
    expect(discord.allowed_mentions).toEqual({ parse: [] });
    const hook = received.get('/hook')![0]!;
    expect(hook.headers['x-api-key']).toBe('hook-secret');
    expect(JSON.parse(hook.body)).toEqual({
      text: '<b>Mallory</b> tripped Impossible travel',
      where: 'Boston, US / London, GB',
    });
    expect(JSON.parse(received.get('/ntfy/')![0]!.body)).toMatchObject({
      topic: 'streamwarden',
      title: 'Impossible travel: <b>Mallory</b>',
      priority: 5,
    });
    expect(JSON.parse(received.get('/apprise/notify/sw')![0]!.body)).toMatchObject({
      title: 'Impossible travel: <b>Mallory</b>',
      type: 'failure',
      tag: 'admins',
    });
    const telegram = JSON.parse(received.get(`/tg/bot${BOT}/sendMessage`)![0]!.body) as {
      chat_id: string;
      text: string;
      parse_mode: string;
    };
    expect(telegram).toMatchObject({ chat_id: '-100123', parse_mode: 'HTML' });
    expect(telegram.text).toContain('<b>Impossible travel: &lt;b&gt;Mallory&lt;/b&gt;</b>');
    const gotify = received.get('/gotify/message')![0]!;
    expect(gotify.headers['x-gotify-key']).toBe('AbCdEf123');
    expect(JSON.parse(gotify.body)).toMatchObject({ title: 'Impossible travel: <b>Mallory</b>', priority: 8 });
    expect(JSON.parse(received.get('/pushover/1/messages.json')![0]!.body)).toMatchObject({
      token: PUSHOVER_APP,
      user: PUSHOVER_USER,
      title: 'Impossible travel: <b>Mallory</b>',
      priority: 1,
    });
    // A name from a media server is text in Slack, never a link or a mention.
    const slackMessage = JSON.parse(received.get('/slack/T0/B0/secret')![0]!.body) as { text: string };
    expect(slackMessage.text).toBe('Impossible travel: &lt;b&gt;Mallory&lt;/b&gt;');
    // The two violations' mails may arrive in either order: the travel one is found by its id.
    const travelMail = smtp.mails.find((m) => m.includes('X-Streamwarden-Violation: aaaaaaaa'));
    expect(travelMail).toMatch(/Subject: Impossible travel: <b>Mallory<\/b>/);

    const ledger = await warehouse.client.query({
      query: `SELECT channel_name, status, attempts, last_error FROM ${warehouse.table('notification_deliveries')} FINAL WHERE violation_id = {id:String} ORDER BY channel_name`,
      query_params: { id: travel.violationId },
      format: 'JSONEachRow',
    });
    const rows = await ledger.json<{ channel_name: string; status: string; attempts: number; last_error: string }>();
    expect(rows.find((r) => r.channel_name === 'Broken')).toMatchObject({
      status: 'FAILED',
      attempts: 4,
      last_error: expect.stringContaining('400'),
    });
    expect(rows.find((r) => r.channel_name === 'Flaky')).toMatchObject({ status: 'SENT' });
    expect(rows.filter((r) => r.status === 'SENT')).toHaveLength(11);
  });
});
