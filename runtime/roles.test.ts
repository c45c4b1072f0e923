// Scale-out roles wired together over the real Kafka broker: connectors, two pipelines and the
// API each with their own bus client and configuration, as separate processes would have them
// (they share the test's ClickHouse engine, which a ClickHouse server would be in production).
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { waitFor } from '../testing/bus-contract.ts';
import { DEVICES, MOVIES, movie, user } from '../connectors/fakes/catalog.ts';
import { FakePlexServer } from '../connectors/fakes/fake-plex.ts';
import { FakeMediaBrowserServer } from '../connectors/fakes/fake-mediabrowser.ts';
import { createTautulliDatabase, generatePlays } from '../testing/import-fixtures.ts';
import { allTopics } from '../schemas/index.ts';
import { setupAndSignIn, signIn, TEST_ADMIN } from '../testing/api-session.ts';
import { testConfiguration } from '../testing/configuration.ts';
import { newKafkaBus, testBrokers, uniqueName } from '../testing/kafka.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from '../core/logger.ts';
import { parseRole, startRole, type Role, type Running } from './roles.ts';

const logger = createLogger('test');
const plex = new FakePlexServer('roles-token', 'Roles Plex');
const serverId = uniqueName('plex');
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
const running: Array<{ role: Role; process: Running; close(): Promise<void> }> = [];

async function start(role: Role): Promise<Running> {
  const bus = newKafkaBus();
  const configuration = testConfiguration(warehouse, { pollMs: 200 });
  const config = loadConfig({
    STREAMWARDEN_DATA_DIR: mkdtempSync(join(tmpdir(), `sw-${role}-`)),
    KAFKA_BROKERS: testBrokers().join(','),
    PORT: '0',
    HOST: '127.0.0.1',
  });
  const process = await startRole(role, config, { bus, warehouse, close: () => bus.close() }, configuration, logger);
  running.push({ role, process, close: async () => (await process.stop(), configuration.close(), await bus.close()) });
  return process;
}

/** A webhook receiver on 127.0.0.1 keeping the text of each message. */
async function webhookReceiver() {
  const told: string[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => (told.push((JSON.parse(body) as { text: string }).text), res.end('{}')));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  return { told, receiver };
}

beforeAll(async () => {
  await plex.start();
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
  const bus = newKafkaBus();
  await bus.ensureTopics(allTopics.map((t) => ({ name: t.name, partitions: 4 })));
  await bus.close();
}, 120_000);

afterAll(async () => {
  for (const r of running.reverse()) await r.close();
  await plex.stop();
  await warehouse?.drop();
}, 120_000);

describe('scale-out roles', () => {
  it('refuses a lone role without Kafka and a ClickHouse server, saying why', () => {
    expect(() => parseRole('pipeline', loadConfig({}))).toThrow(/needs KAFKA_BROKERS/);
    expect(() => parseRole('api', loadConfig({ KAFKA_BROKERS: 'k:9092' }))).toThrow(/needs CLICKHOUSE_URL/);
    expect(() => parseRole('everything', loadConfig({}))).toThrow(ConfigError);
    expect(parseRole(undefined, loadConfig({}))).toBe('all');
    expect(parseRole('connectors', loadConfig({ KAFKA_BROKERS: 'k:9092', CLICKHOUSE_URL: 'http://ch:8123' }))).toBe(
      'connectors',
    );
  });

  it('a server added through the API reaches the connectors process; its streams reach the API live, are stopped through the bus and stored by the pipelines', async () => {
    const connectors = await start('connectors');
    await start('pipeline');
    await start('pipeline');
    const api = await start('api');
    expect((await fetch(`${connectors.address}/health`).then((r) => r.json())) as object).toMatchObject({
      status: 'ok',
      role: 'connectors',
    });

    const json = { 'content-type': 'application/json' };
    const cookie = await setupAndSignIn(api.address);
    const added = await fetch(`${api.address}/api/v1/servers`, {
      method: 'POST',
      headers: { ...json, cookie },
      body: JSON.stringify({ id: serverId, type: 'plex', url: plex.url, token: 'roles-token' }),
    });
    expect(added.status).toBe(201);

    // A channel for this server's plays and states, at a receiver of the test's own.
    const { told, receiver } = await webhookReceiver();
    const channel = await fetch(`${api.address}/api/v1/notifications/channels`, {
      method: 'POST',
      headers: { ...json, cookie },
      body: JSON.stringify({
        name: 'Plays and states',
        type: 'webhook',
        events: ['STREAM_STARTED', 'STREAM_PAUSED', 'STREAM_RESUMED', 'STREAM_STOPPED', 'SERVER_DOWN', 'SERVER_UP'],
        servers: [serverId],
        settings: {
          url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/`,
          bodyTemplate: '{"text": "{{rule}}: {{summary}}"}',
        },
      }),
    });
    expect(channel.status).toBe(201);

    const messages: Array<{ type: string; session?: { serverId: string; sessionKey: string } }> = [];
    const socket = new WebSocket(`${api.address.replace('http', 'ws')}/api/v1/live`, { headers: { cookie } });
    socket.on('message', (data) => messages.push(JSON.parse(String(data)) as (typeof messages)[number]));
    await waitFor(() => messages.length > 0, 'the snapshot');

    // The connectors process learns of the server by polling the warehouse, as another process would.
    await waitFor(
      () => plex.requests.some((r) => r.path === '/status/sessions'),
      'the connectors process to watch the new server',
      30_000,
    );
    const session = plex.startSession({
      user: user('5', 'erin'),
      item: movie('42', 'Heat'),
      device: DEVICES.tv(),
      ip: '81.2.69.142',
    });
    await waitFor(
      () => messages.some((m) => m.type === 'session.started' && m.session?.serverId === serverId),
      'the session pushed by the API process',
      30_000,
    );
    // Paused and resumed on the server: each told once.
    await waitFor(() => told.some((t) => t.startsWith('Stream started: ')), 'the start told', 60_000);
    session.pause();
    await waitFor(() => told.some((t) => t.startsWith('Stream paused: ')), 'the pause told', 60_000);
    session.resume();
    await waitFor(() => told.some((t) => t.startsWith('Stream resumed: ')), 'the resume told', 60_000);

    const stop = await fetch(`${api.address}/api/v1/sessions/${serverId}/${session.key}/terminate`, {
      method: 'POST',
      headers: { ...json, cookie },
      body: JSON.stringify({}),
    });
    expect(await stop.json()).toMatchObject({ requested: true, terminated: false });
    await waitFor(() => plex.terminations.length === 1, 'the connectors process to carry out the stop', 30_000);
    expect(plex.terminations[0]).toMatchObject({
      sessionId: session.id,
      reason: 'This stream was stopped by the server administrator.',
    });
    await waitFor(
      () => messages.some((m) => m.type === 'session.stopped' && m.session?.serverId === serverId),
      'the stop pushed live',
      30_000,
    );
    socket.close();

    // Both pipeline processes hold partitions of the playback events.
    const admin = new Kafka({ brokers: testBrokers(), logLevel: 0 }).admin();
    await admin.connect();
    const { groups } = await admin.describeGroups(['pipeline', 'warehouse-sink']);
    await admin.disconnect();
    for (const group of groups)
      expect(group.members.filter((m) => m.memberAssignment.length > 0).length, group.groupId).toBeGreaterThanOrEqual(
        2,
      );

    let stored: Array<{ stopped: number }> = [];
    for (let tries = 0; tries < 100 && !stored.some((s) => s.stopped); tries++) {
      const result = await warehouse.client.query({
        query: `SELECT isNotNull(stopped_at) AS stopped FROM ${warehouse.table('sessions')} FINAL WHERE server_id = {server:String}`,
        query_params: { server: serverId },
        format: 'JSONEachRow',
      });
      stored = await result.json();
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(stored).toEqual([{ stopped: 1 }]);

    // The play and the server's outage, told to the channel by the pipelines, each once.
    await waitFor(() => told.some((t) => t.startsWith('Stream stopped: erin stopped Heat')), 'the stop told', 60_000);
    await plex.goDown();
    await waitFor(() => told.some((t) => t.startsWith('Server down: ')), 'the outage told', 60_000);
    await plex.comeUp();
    await waitFor(() => told.some((t) => t.startsWith('Server up: ')), 'the return told', 60_000);
    expect(told.map((t) => t.split(':')[0])).toEqual([
      'Stream started',
      'Stream paused',
      'Stream resumed',
      'Stream stopped',
      'Server down',
      'Server up',
    ]);
    expect(told[0]).toBe('Stream started: erin started Heat on Living Room TV (London, GB)');
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    // Its receiver is gone: the channel goes too, or every later play would wait on its retries.
    const { id: channelId } = (await channel.json()) as { id: string };
    expect(
      (
        await fetch(`${api.address}/api/v1/notifications/channels/${channelId}`, {
          method: 'DELETE',
          headers: { cookie },
        })
      ).status,
    ).toBe(204);

    // A preset automation turned on through the API stops a 4K transcode, with its message, and
    // leaves a 4K direct play alone.
    const preset = await fetch(`${api.address}/api/v1/automations`, { headers: { cookie } }).then(
      (r) => r.json() as Promise<{ automations: Array<Record<string, unknown>> }>,
    );
    const refuse = preset.automations.find((a) => a.id === 'preset-refuse-4k-transcodes')!;
    const { id: _id, ...body } = refuse;
    const on = await fetch(`${api.address}/api/v1/automations/preset-refuse-4k-transcodes`, {
      method: 'PUT',
      headers: { ...json, cookie },
      body: JSON.stringify({ ...body, enabled: true }),
    });
    expect(on.status).toBe(200);
    // The pipelines read rules from the warehouse at each batch: the next transcode meets it.
    const direct = plex.startSession({
      user: user('6', 'fay'),
      item: movie('44', 'Dune'),
      device: DEVICES.tv(),
      ip: '81.2.69.142',
    });
    const converted = plex.startSession({
      user: user('7', 'gus'),
      item: movie('43', 'Arrival'),
      device: DEVICES.phone(),
      ip: '81.2.69.143',
      transcode: { videoHeight: 1080, videoCodec: 'h264', bitrateKbps: 8000 },
    });
    await waitFor(() => plex.terminations.length === 2, 'the automation to stop the 4K transcode', 60_000);
    expect(plex.terminations[1]).toMatchObject({
      sessionId: converted.id,
      reason: expect.stringContaining('cannot be converted for your device'),
    });
    await new Promise((r) => setTimeout(r, 2000));
    expect(plex.terminations.map((t) => t.sessionId)).not.toContain(direct.id);
  });

  it(
    "tells the fleet's other events to the channel that hears them once each across a pipeline restart; automations warn, stop and take trust on real servers",
    { timeout: 240_000 },
    async () => {
      const api = running.find((r) => r.role === 'api')!.process;
      const cookie = await signIn(api.address, TEST_ADMIN.username, TEST_ADMIN.password);
      const json = { 'content-type': 'application/json', cookie };
      const call = async (method: string, path: string, body?: unknown) => {
        const response = await fetch(api.address + path, {
          method,
          headers: json,
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };
      const jellyfin = new FakeMediaBrowserServer('JELLYFIN', 'roles-jf-key', 'Roles Jellyfin');
      await jellyfin.start();
      // A film added two hours ago: the library's first read (30 s after the server is added) tells it.
      jellyfin.addLibrary(MOVIES, [movie('80', 'Freshly Added', { addedAt: Date.now() - 2 * 3_600_000 })]);
      const jellyfinId = uniqueName('jf');
      const importId = uniqueName('import');
      expect(
        (
          await call('POST', '/api/v1/servers', {
            id: jellyfinId,
            type: 'jellyfin',
            url: jellyfin.url,
            token: 'roles-jf-key',
          })
        ).status,
      ).toBe(201);

      // gus's transcode (the first test's) may still be on its way to the notifier when the channel
      // is made: it may reach the channel, once at most. Everything else happens after.
      const { told, receiver } = await webhookReceiver();
      const additions = await webhookReceiver();
      expect(
        (
          await call('POST', '/api/v1/notifications/channels', {
            name: 'Additions',
            type: 'webhook',
            events: ['RECENTLY_ADDED'],
            servers: [jellyfinId],
            settings: {
              url: `http://127.0.0.1:${(additions.receiver.address() as { port: number }).port}/`,
              bodyTemplate: '{"text": "{{rule}}: {{summary}}"}',
            },
          })
        ).status,
      ).toBe(201);
      const channel = await call('POST', '/api/v1/notifications/channels', {
        name: 'Firsts, transcodes and imports',
        type: 'webhook',
        events: [
          'TRANSCODE_STARTED',
          'NEW_DEVICE',
          'NEW_LOCATION',
          'TRUST_THRESHOLD',
          'SERVER_AUTH_FAILED',
          'IMPORT_FINISHED',
          'IMPORT_FAILED',
        ],
        servers: [serverId, importId],
        settings: {
          url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/`,
          bodyTemplate: '{"text": "{{rule}}: {{summary}}"}',
        },
      });
      expect(channel.status, JSON.stringify(channel.body)).toBe(201);
      const presets = (await call('GET', '/api/v1/automations')).body.automations as Array<Record<string, unknown>>;
      const turn = async (id: string, enabled: boolean) => {
        const { id: _id, ...rule } = presets.find((a) => a.id === id)!;
        expect((await call('PUT', `/api/v1/automations/${id}`, { ...rule, enabled })).status).toBe(200);
      };
      await turn('preset-refuse-4k-transcodes', false);
      await turn('preset-third-stream-warning', true);
      await turn('preset-fourth-stream-stopped', true);
      // A device never seen before costs 30 points: erin's trust falls below a threshold.
      expect(
        (
          await call('POST', '/api/v1/automations', {
            name: 'New devices cost trust',
            enabled: true,
            trigger: 'NEW_DEVICE',
            conditions: [],
            actions: [{ type: 'adjustTrust', points: -30 }],
          })
        ).status,
      ).toBe(201);

      // erin (who watched Heat on the TV in London) on a phone in Stockholm, transcoded: a new
      // device, a new place and a transcode.
      const phone = plex.startSession({
        user: user('5', 'erin'),
        item: movie('45', 'Alien'),
        device: DEVICES.phone(),
        ip: '89.160.20.112',
        transcode: { videoHeight: 720, videoCodec: 'h264', bitrateKbps: 4000 },
      });
      const erins = () => told.filter((t) => t.includes('erin')).length;
      await waitFor(() => erins() >= 3, 'the new device, the new place and the transcode told', 60_000);
      await waitFor(() => told.some((t) => t.startsWith('Trust score')), 'the trust threshold told', 60_000);

      // One pipeline process dies and another takes its place: its partitions move, nothing is told twice.
      const gone = running.findIndex((r) => r.role === 'pipeline');
      await running[gone]!.close();
      running.splice(gone, 1);
      await start('pipeline');

      // Two imports through the API: one that lands, one of a file that is no database.
      const file = join(mkdtempSync(join(tmpdir(), 'sw-roles-import-')), 'history.db');
      createTautulliDatabase(file, generatePlays(6, 2));
      const upload = (body: Uint8Array | string) =>
        fetch(`${api.address}/api/v1/imports/file?kind=tautulli-db&serverId=${importId}&name=history.db`, {
          method: 'POST',
          headers: { cookie, 'content-type': 'application/octet-stream' },
          body: typeof body === 'string' ? body : new Blob([new Uint8Array(body)]),
        });
      expect((await upload(readFileSync(file))).status).toBe(202);
      expect((await upload('not a database at all')).status).toBe(202);
      await waitFor(() => told.filter((t) => t.startsWith('Import')).length >= 2, 'both imports told', 60_000);

      // The Plex admin revokes the token Streamwarden holds, then gives it back.
      plex.useToken('a-new-token');
      await waitFor(() => told.some((t) => t.startsWith('Server refused its credentials')), 'the refusal told', 60_000);
      plex.useToken('roles-token');

      // hal starts four streams on Jellyfin at once: the third is warned, the fourth stopped.
      const hal = user('h1', 'hal');
      const devices = [
        DEVICES.tv('hal-tv'),
        DEVICES.phone('hal-phone'),
        DEVICES.browser('hal-web'),
        DEVICES.browser('hal-web-2'),
      ];
      const sessions = devices.map((device, i) =>
        jellyfin.startSession({ user: hal, item: movie(`9${i}`, `Film ${i}`), device, ip: '81.2.69.142' }),
      );
      await waitFor(() => jellyfin.terminations.length === 1, 'the fourth stream stopped', 90_000);
      await waitFor(() => jellyfin.messages.length === 2, 'the third stream warned', 30_000);
      // What Jellyfin saw: one warning for the third stream and one for the fourth before its stop
      // (a stop shows its message first), and nothing for the first two.
      const warned = jellyfin.messages.filter((m) => m.text.startsWith('This is your third stream'));
      expect(warned).toHaveLength(1);
      expect(jellyfin.messages.filter((m) => m.text.startsWith('Three streams at once'))).toHaveLength(1);
      const stoppedId = jellyfin.terminations[0]!.sessionId;
      expect(warned[0]!.sessionId).not.toBe(stoppedId);
      expect(sessions.filter((s) => s.id !== stoppedId && s.id !== warned[0]!.sessionId)).toHaveLength(2);

      // Each told once, whichever process held its partition before and after the restart.
      await new Promise((r) => setTimeout(r, 3000));
      phone.stop();
      for (const s of sessions) if (s.id !== stoppedId) s.stop();
      expect(told.filter((t) => t.includes('gus is transcoding')).length).toBeLessThanOrEqual(1);
      expect(
        told
          .filter((t) => !t.includes('gus is transcoding'))
          .map((t) => t.split(':')[0])
          .sort(),
      ).toEqual(
        [
          'Import failed',
          'Import finished',
          'New device',
          'New place',
          'Server refused its credentials',
          'Transcode started',
          'Trust score',
        ].sort(),
      );
      expect(told.find((t) => t.startsWith('New place'))).toContain('Stockholm');
      // 30 points off, after whatever the rules took for London to Stockholm in minutes; named as
      // the account was last seen (a trust change carries no name).
      expect(told.find((t) => t.startsWith('Trust score'))).toMatch(
        /: erin's trust score fell below (75|50) \(\d+ → \d+\)$/,
      );
      await waitFor(() => additions.told.length > 0, 'the addition told', 60_000);
      await new Promise((r) => setTimeout(r, 1000));
      expect(additions.told).toEqual([
        expect.stringMatching(/^Recently added: 1 added to Movies on .*: Freshly Added$/),
      ]);
      for (const r of [receiver, additions.receiver]) await new Promise<void>((resolve) => r.close(() => resolve()));
      await jellyfin.stop();
    },
  );
});
