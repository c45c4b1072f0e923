import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/bus-contract.ts';
import { EmbeddedBus } from '../bus/embedded/embedded-bus.ts';
import { FakePlexServer } from '../connectors/fakes/fake-plex.ts';
import { ReadOnlyServersError } from '../connectors/server-registry.ts';
import { loadConfig } from '../runtime/config.ts';
import type { Configuration } from './configuration.ts';
import { startConnectors } from '../runtime/connectors.ts';
import { createLogger } from '../core/logger.ts';
import { allTopics } from '../schemas/index.ts';
import { TEST_SECRET, testConfiguration } from '../testing/configuration.ts';
import { rawRequest } from '../testing/raw-http.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import { buildApi } from './app.ts';
import { setupAndSignIn } from '../testing/api-session.ts';

const logger = createLogger('test');
const plex = new FakePlexServer('plex-secret-token', 'Living Room Plex');
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let bus: EmbeddedBus;
let configuration: Configuration;
let connectors: Awaited<ReturnType<typeof startConnectors>>;
let app: FastifyInstance;
let base: string;
let cookie: string;

beforeAll(async () => {
  await plex.start();
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
  const dataDir = mkdtempSync(join(tmpdir(), 'sw-config-'));
  bus = new EmbeddedBus({ dir: join(dataDir, 'bus'), logger, defaultPartitions: 1 });
  await bus.ensureTopics(allTopics.map((t) => ({ name: t.name })));
  configuration = testConfiguration(warehouse);
  connectors = await startConnectors(
    loadConfig({ STREAMWARDEN_DATA_DIR: dataDir }),
    { bus, warehouse, close: async () => undefined },
    configuration,
    { source: 'no places', lookup: () => null },
    logger,
  );
  app = await buildApi({
    warehouse,
    bus,
    logger,
    configuration,
    clientId: 'config-test',
    serverStatus: () => connectors.runner.statuses(),
    geoipSource: 'IP geolocation by DB-IP',
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  cookie = await setupAndSignIn(base);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await connectors?.stop();
  configuration?.close();
  await bus?.close();
  await plex.stop();
  await warehouse?.drop();
});

const call = async (method: string, path: string, json?: unknown) => {
  const response = await fetch(base + path, {
    method,
    headers: { cookie, ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: json !== undefined ? JSON.stringify(json) : undefined,
  });
  const text = await response.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes are what the tests assert
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, any>) : null };
};

describe('media servers', () => {
  it('tests a connection before saving: the server name on success, the reason on failure', async () => {
    const ok = await call('POST', '/api/v1/servers/test', { type: 'plex', url: plex.url, token: 'plex-secret-token' });
    expect(ok.body).toMatchObject({ ok: true, server: { name: 'Living Room Plex', version: '1.41.3.9314-a0bfb8370' } });
    const wrongToken = await call('POST', '/api/v1/servers/test', { type: 'plex', url: plex.url, token: 'nope' });
    expect(wrongToken.body).toMatchObject({ ok: false, outcome: 'AUTH_FAILED', error: { kind: 'AUTH_FAILED' } });
    const down = await call('POST', '/api/v1/servers/test', {
      type: 'jellyfin',
      url: 'http://127.0.0.1:9',
      token: 'x',
    });
    expect(down.body).toMatchObject({ ok: false, outcome: 'UNREACHABLE' });
    expect((await call('POST', '/api/v1/servers/test', { type: 'plex', url: 'ftp://nas', token: 'x' })).status).toBe(
      400,
    );
  });

  it('never echoes what a tested address answered, and refuses link-local and metadata addresses', async () => {
    const internal = createServer((request, response) => {
      const status = request.url?.includes('status') ? 500 : 200;
      response
        .writeHead(status, { 'content-type': request.url?.includes('json') ? 'application/json' : 'text/html' })
        .end('<h1>internal admin: SECRET-7731</h1>');
    });
    await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = internal.address() as AddressInfo;
      for (const type of ['plex', 'jellyfin', 'emby']) {
        const answer = await call('POST', '/api/v1/servers/test', {
          type,
          url: `http://127.0.0.1:${port}`,
          token: 'x',
        });
        expect(answer.body, type).toMatchObject({ ok: false, outcome: 'NOT_A_MEDIA_SERVER' });
        expect(JSON.stringify(answer.body)).not.toContain('SECRET');
        expect(JSON.stringify(answer.body)).not.toContain('internal admin');
      }
    } finally {
      internal.close();
    }
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://[fe80::1]:8096',
      'http://[::ffff:169.254.169.254]',
      'http://100.100.100.200',
    ]) {
      const refused = await call('POST', '/api/v1/servers/test', { type: 'jellyfin', url, token: 'x' });
      expect(refused.body, url).toMatchObject({ ok: false, outcome: 'REFUSED_ADDRESS' });
      const saved = await call('POST', '/api/v1/servers', { id: 'metadata', type: 'jellyfin', url, token: 'x' });
      expect(saved.status, url).toBe(400);
      expect(saved.body!.message).toMatch(/link-local or cloud metadata/);
    }
  });

  it('adds a server that starts being watched at once, without its token ever coming back', async () => {
    expect((await call('GET', '/api/v1/servers')).body).toEqual({ readOnlySource: null, servers: [] });
    const created = await call('POST', '/api/v1/servers', {
      id: 'plex-home',
      name: 'Home',
      type: 'plex',
      url: plex.url,
      token: 'plex-secret-token',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'plex-home', tokenSet: true });
    expect(JSON.stringify(created.body)).not.toContain('plex-secret-token');
    await waitFor(
      () => connectors.runner.statuses().some((s) => s.serverId === 'plex-home' && s.status === 'UP'),
      'the new server to be watched',
    );

    const listed = await call('GET', '/api/v1/servers');
    expect(listed.body!.servers).toEqual([
      expect.objectContaining({ id: 'plex-home', name: 'Home', status: expect.objectContaining({ status: 'UP' }) }),
    ]);
    expect(JSON.stringify(listed.body)).not.toContain('plex-secret-token');

    // At rest the token is sealed; analysts see the server in `servers` without it.
    const stored = await warehouse.client.query({
      query: `SELECT body FROM ${warehouse.table('config_documents')}`,
      format: 'JSONEachRow',
    });
    const bodies = JSON.stringify(await stored.json());
    expect(bodies).toContain('plex-home');
    expect(bodies).not.toContain('plex-secret-token');
    const mirrored = await warehouse.client.query({
      query: `SELECT server_id, name, server_type FROM ${warehouse.table('servers')} FINAL WHERE NOT deleted`,
      format: 'JSONEachRow',
    });
    expect(await mirrored.json()).toEqual([{ server_id: 'plex-home', name: 'Home', server_type: 'plex' }]);
  });

  it('changes a server keeping its stored token, refuses duplicates and bad input with a reason, and removes it', async () => {
    const renamed = await call('PUT', '/api/v1/servers/plex-home', {
      name: 'Home theatre',
      pollIntervalMs: 5000,
      latitude: 52.52,
      longitude: 13.4,
    });
    expect(renamed.body).toMatchObject({
      name: 'Home theatre',
      pollIntervalMs: 5000,
      latitude: 52.52,
      longitude: 13.4,
    });
    const halfPlaced = await call('PUT', '/api/v1/servers/plex-home', { latitude: 10, longitude: undefined });
    expect(halfPlaced.status).toBe(200);
    expect(halfPlaced.body).toMatchObject({ latitude: 10, longitude: 13.4 });
    expect((await configuration.servers.list())[0]!.token).toBe('plex-secret-token');
    expect((await call('POST', '/api/v1/servers/plex-home/test')).body).toMatchObject({ ok: true });

    const duplicate = await call('POST', '/api/v1/servers', {
      id: 'plex-home',
      type: 'plex',
      url: plex.url,
      token: 't',
    });
    expect(duplicate).toMatchObject({ status: 409, body: { message: expect.stringContaining('exists already') } });
    const badUrl = await call('POST', '/api/v1/servers', { id: 'jf', type: 'jellyfin', url: 'not a url', token: 't' });
    expect(badUrl).toMatchObject({
      status: 400,
      body: { message: expect.stringContaining('"url" must be an http(s) URL') },
    });
    const badId = await call('POST', '/api/v1/servers', {
      id: 'Has Spaces',
      type: 'jellyfin',
      url: 'http://x',
      token: 't',
    });
    expect(badId.status).toBe(400);
    expect((await call('PUT', '/api/v1/servers/missing', { name: 'x' })).status).toBe(404);
    expect((await call('PUT', '/api/v1/servers/plex-home', { id: 'other' })).status).toBe(400);

    expect((await call('DELETE', '/api/v1/servers/plex-home')).status).toBe(204);
    await waitFor(() => connectors.runner.statuses().length === 0, 'the removed server to be let go');
    expect((await call('DELETE', '/api/v1/servers/plex-home')).status).toBe(404);
    const mirrored = await warehouse.client.query({
      query: `SELECT server_id FROM ${warehouse.table('servers')} FINAL WHERE NOT deleted`,
      format: 'JSONEachRow',
    });
    expect(await mirrored.json()).toEqual([]);
  });

  it('is read-only when a server file is the source, saying which file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sw-servers-')), 'servers.json');
    writeFileSync(file, JSON.stringify([{ id: 'jf', type: 'jellyfin', url: 'http://127.0.0.1:8096', token: 'abc' }]));
    const fromFile = testConfiguration(warehouse, { serversFile: file });
    expect(await fromFile.servers.listPublic()).toEqual([expect.objectContaining({ id: 'jf', tokenSet: true })]);
    await expect(
      fromFile.servers.save({ id: 'x', type: 'plex', url: 'http://x', token: 't' }, 'admin', 'add'),
    ).rejects.toThrow(ReadOnlyServersError);
    await expect(
      fromFile.servers.save({ id: 'x', type: 'plex', url: 'http://x', token: 't' }, 'admin', 'add'),
    ).rejects.toThrow(file);
  });

  it('cannot read tokens back with another secret key', async () => {
    await call('POST', '/api/v1/servers', {
      id: 'jf',
      type: 'jellyfin',
      url: 'http://127.0.0.1:8096',
      token: 'jf-key',
    });
    const { openConfiguration } = await import('./configuration.ts');
    const { SecretBox } = await import('../core/secret-box.ts');
    const other = openConfiguration(warehouse, { secrets: new SecretBox(`${TEST_SECRET}-other`), pollMs: 0 });
    await expect(other.servers.list()).rejects.toThrow(/STREAMWARDEN_SECRET_KEY differs/);
    await call('DELETE', '/api/v1/servers/jf');
  });
});

describe('rules and settings', () => {
  it('saves rule parameters, keeping the settings not sent, and tells the running processor', async () => {
    const applied: number[] = [];
    const unwatch = await configuration.rules.watch(
      (config) => applied.push(config.rules.impossibleTravel.maxSpeedKmh),
      (err) => {
        throw err;
      },
    );
    const before = await call('GET', '/api/v1/rules');
    expect(before.body).toMatchObject({
      version: 0,
      readOnlySource: null,
      rules: { impossibleTravel: { maxSpeedKmh: 1000, minDistanceKm: 50 } },
    });
    const saved = await call('PUT', '/api/v1/rules', {
      rules: { impossibleTravel: { maxSpeedKmh: 800 }, inactivity: { enabled: false } },
      version: 0,
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({
      rules: {
        impossibleTravel: { maxSpeedKmh: 800, minDistanceKm: 50, enabled: true },
        inactivity: { enabled: false },
      },
    });
    await waitFor(() => applied.at(-1) === 800, 'the processor to be told');
    unwatch();

    const stale = await call('PUT', '/api/v1/rules', { rules: { impossibleTravel: { maxSpeedKmh: 700 } }, version: 0 });
    expect(stale).toMatchObject({ status: 409, body: { message: expect.stringContaining('changed by someone else') } });
    const unknown = await call('PUT', '/api/v1/rules', { rules: { teleport: { enabled: true } } });
    expect(unknown).toMatchObject({
      status: 400,
      body: { message: expect.stringContaining('unknown rule "teleport"') },
    });
    const wrongType = await call('PUT', '/api/v1/rules', { rules: { impossibleTravel: { maxSpeedKmh: 'fast' } } });
    // Refused by the body's schema (api/contract/rules.ts, from the rule registry), naming the setting.
    expect(wrongType).toMatchObject({
      status: 400,
      body: { message: 'body/rules/impossibleTravel/maxSpeedKmh must be number' },
    });
    expect((await call('GET', '/api/v1/rules')).body!.rules.impossibleTravel.maxSpeedKmh).toBe(800);
  });

  it("sets and clears one user's overrides", async () => {
    const set = await call('PUT', '/api/v1/users/plex-home:42/rules', {
      concurrentStreams: { maxStreams: 6 },
      exemptions: { trustedCidrs: ['203.0.113.0/24'] },
    });
    expect(set.body!.accounts).toEqual({
      'plex-home:42': { concurrentStreams: { maxStreams: 6 }, exemptions: { trustedCidrs: ['203.0.113.0/24'] } },
    });
    const badCidr = await call('PUT', '/api/v1/users/plex-home:42/rules', {
      exemptions: { trustedCidrs: ['300.1.1.1/8'] },
    });
    expect(badCidr).toMatchObject({ status: 400, body: { message: expect.stringContaining('trustedCidrs') } });
    expect((await call('PUT', '/api/v1/users/not-an-account/rules', {})).status).toBe(400);
    expect((await call('DELETE', '/api/v1/users/plex-home:42/rules')).body!.accounts).toEqual({});
  });

  it('keeps install settings, validated', async () => {
    expect((await call('GET', '/api/v1/settings')).body).toEqual({
      settings: {
        instanceName: 'Streamwarden',
        distanceUnit: 'km',
        defaultLanguage: 'en',
        terminateMessage: expect.any(String),
        timeZone: '',
      },
      geoip: 'IP geolocation by DB-IP',
    });
    const saved = await call('PUT', '/api/v1/settings', { distanceUnit: 'mi', defaultLanguage: 'zh-Hant' });
    expect(saved.body!.settings).toMatchObject({
      distanceUnit: 'mi',
      defaultLanguage: 'zh-Hant',
      instanceName: 'Streamwarden',
    });
    expect((await call('GET', '/api/v1/settings')).body!.settings.distanceUnit).toBe('mi');
    expect((await call('PUT', '/api/v1/settings', { distanceUnit: 'furlongs' })).status).toBe(400);
    // One time zone for the install: an IANA name, or empty for each viewer's own.
    expect((await call('PUT', '/api/v1/settings', { timeZone: 'Mars/Olympus_Mons' })).status).toBe(400);
    expect((await call('PUT', '/api/v1/settings', { timeZone: 'Asia/Kolkata' })).body!.settings.timeZone).toBe(
      'Asia/Kolkata',
    );
    expect((await call('PUT', '/api/v1/settings', { timeZone: '' })).body!.settings.timeZone).toBe('');
    expect(await call('PUT', '/api/v1/settings', { colour: 'red' })).toMatchObject({
      status: 400,
      body: { message: 'body has an unknown field "colour"' },
    });
  });
});

describe('history import from the dashboard', () => {
  it('uploads a Tautulli database, reports progress until done, and explains a wrong file', async () => {
    const { createTautulliDatabase, generatePlays } = await import('../testing/import-fixtures.ts');
    const { readFileSync, readdirSync } = await import('node:fs');
    const file = join(mkdtempSync(join(tmpdir(), 'sw-upload-')), 'tautulli.db');
    const plays = generatePlays(40, 4);
    createTautulliDatabase(file, plays);
    const upload = (body: Uint8Array, headers: Record<string, string> = { cookie }) =>
      fetch(`${base}/api/v1/imports/file?kind=tautulli-db&serverId=plex-old`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/octet-stream' },
        body: new Blob([new Uint8Array(body)]),
      });
    expect((await upload(readFileSync(file), {})).status).toBe(401);

    const started = await upload(readFileSync(file));
    expect(started.status).toBe(202);
    const job = (await started.json()) as { id: string };
    let state: { status: string; progress: { read: number; added: number }; error: string | null } = {
      status: 'running',
      progress: { read: 0, added: 0 },
      error: null,
    };
    for (let tries = 0; tries < 200 && state.status === 'running'; tries++) {
      state = (await call('GET', `/api/v1/imports/${job.id}`)).body as typeof state;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(state).toMatchObject({ status: 'done', progress: { read: plays.length, added: plays.length }, error: null });
    expect((await call('GET', '/api/v1/imports')).body!.jobs[0]).toMatchObject({
      id: job.id,
      kind: 'tautulli-db',
      serverId: 'plex-old',
    });

    const wrong = (await (
      await fetch(`${base}/api/v1/imports/file?kind=tautulli-db&serverId=plex-old&name=history.db`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/octet-stream' },
        body: 'not a database at all',
      })
    ).json()) as { id: string };
    for (let tries = 0; tries < 200 && state.status !== 'failed'; tries++) {
      state = (await call('GET', `/api/v1/imports/${wrong.id}`)).body as typeof state;
      await new Promise((r) => setTimeout(r, 50));
    }
    // Named as the user knows the file, never by a temporary path on the server.
    expect(state).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('history.db is not a SQLite database'),
    });
    expect(state.error).not.toContain(tmpdir());
    expect(state.error).not.toContain('sw-import-');
    // Temporary files go with their import, done or failed.
    await new Promise((r) => setTimeout(r, 200));
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith(`sw-import-${process.pid}-`))).toEqual([]);
    // Too large for an upload: refused before any byte is stored, saying what to do instead.
    const huge = await rawRequest(
      base,
      'POST',
      '/api/v1/imports/file?kind=jellystat&serverId=plex-old',
      { cookie, 'content-type': 'application/octet-stream', 'content-length': String(9 * 1024 ** 3) },
      '',
    );
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body).message).toMatch(/limited to 8 GiB.*npm run import/);
    expect(
      (await call('POST', '/api/v1/imports/tautulli-api', { url: 'ftp://x', apiKey: 'k', serverId: 'plex-old' }))
        .status,
    ).toBe(400);
  });
});

describe('notification channels', () => {
  it('adds a channel with its secret sealed, tests it, refuses bad settings by name, and lists deliveries', async () => {
    const { createServer } = await import('node:http');
    const hits: string[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => (hits.push(body), (res.statusCode = 204), res.end()));
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/api/webhooks/1/secret-token`;
    const created = await call('POST', '/api/v1/notifications/channels', {
      name: 'Admins',
      type: 'discord',
      minSeverity: 'MEDIUM',
      settings: { webhookUrl: hook },
    });
    expect(created).toMatchObject({
      status: 201,
      body: { name: 'Admins', type: 'discord', minSeverity: 'MEDIUM', secretsSet: ['webhookUrl'], settings: {} },
    });
    expect(JSON.stringify((await call('GET', '/api/v1/notifications/channels')).body)).not.toContain('secret-token');
    const stored = await warehouse.client.query({
      query: `SELECT body FROM ${warehouse.table('config_documents')} FINAL WHERE name = 'notification-channels'`,
      format: 'JSONEachRow',
    });
    expect(JSON.stringify(await stored.json())).not.toContain('secret-token');

    const id = created.body!.id as string;
    expect((await call('POST', `/api/v1/notifications/channels/${id}/test`)).body).toEqual({ ok: true });
    expect(JSON.parse(hits[0]!)).toMatchObject({
      embeds: [expect.objectContaining({ title: 'Impossible travel: Test user' })],
    });
    // A test of each event type, worded as the real one, in the install's language (set to
    // Traditional Chinese above).
    for (const event of ['STREAM_STARTED', 'TRANSCODE_STARTED', 'SERVER_DOWN'])
      expect((await call('POST', `/api/v1/notifications/channels/${id}/test?event=${event}`)).body).toEqual({
        ok: true,
      });
    expect(
      hits.slice(1).map((h) => (JSON.parse(h) as { embeds: Array<{ title: string; description: string }> }).embeds[0]),
    ).toEqual([
      expect.objectContaining({
        title: '開始播放: Test user',
        description: expect.stringContaining(
          'Test user 在 Living Room TV 上開始播放 Severance · Half Loop (Berlin, DE)',
        ),
      }),
      expect.objectContaining({
        title: '開始轉碼: Test user',
        description: expect.stringContaining('(4k → 1080, video bitrate exceeds limit)'),
      }),
      expect.objectContaining({
        title: '伺服器離線: Home Plex',
        description: expect.stringContaining('Home Plex 離線 (test)'),
      }),
    ]);
    expect((await call('POST', `/api/v1/notifications/channels/${id}/test?event=NOPE`)).status).toBe(400);
    // Renaming keeps the stored webhook URL.
    expect((await call('PUT', `/api/v1/notifications/channels/${id}`, { name: 'Owners' })).body).toMatchObject({
      name: 'Owners',
      secretsSet: ['webhookUrl'],
    });
    await new Promise((resolve) => receiver.close(resolve));
    const down = (await call('POST', `/api/v1/notifications/channels/${id}/test`)).body!;
    expect(down).toMatchObject({ ok: false, error: expect.stringContaining('Discord') });

    expect(
      await call('POST', '/api/v1/notifications/channels', {
        type: 'telegram',
        settings: { botToken: 'nope', chatId: '1' },
      }),
    ).toMatchObject({ status: 400, body: { message: expect.stringContaining('botToken') } });
    expect(
      await call('POST', '/api/v1/notifications/channels', { type: 'ntfy', settings: { topic: 'ok', colour: 'red' } }),
    ).toMatchObject({
      status: 400,
      body: { message: 'ntfy has no setting "colour" (known: serverUrl, topic, token, priority)' },
    });
    expect((await call('POST', '/api/v1/notifications/channels', { type: 'pager', settings: {} })).status).toBe(400);
    expect((await call('GET', '/api/v1/notifications/deliveries?status=FAILED')).body).toEqual({ deliveries: [] });
    expect((await call('DELETE', `/api/v1/notifications/channels/${id}`)).status).toBe(204);
    expect((await call('DELETE', `/api/v1/notifications/channels/${id}`)).status).toBe(404);
  });

  it('previews what the templates would send, with a made-up finding, and keeps previews out of the audit log', async () => {
    const custom = await call('POST', '/api/v1/notifications/preview', {
      titleTemplate: '{{rule}} by {{user}} on {{server}}',
      bodyTemplate: '{{location}}{{#title}} · {{title}}{{/title}}',
    });
    expect(custom).toEqual({
      status: 200,
      body: {
        title: 'Impossible travel by alice on Home Plex',
        body: 'Boston, US / London, GB · Severance — S01E02 — Half Loop',
      },
    });
    // Empty templates: the built-in ones.
    const builtIn = await call('POST', '/api/v1/notifications/preview', { titleTemplate: '', bodyTemplate: '' });
    expect(builtIn.body).toMatchObject({
      title: 'Impossible travel: alice',
      body: expect.stringContaining('5,265 km'),
    });
    expect((await call('POST', '/api/v1/notifications/preview', { bodyTemplate: 'x'.repeat(4001) })).status).toBe(400);
    // An event type: its own message in the install's language, whatever the channel's templates
    // (those are for findings): "Stream started: Test user", or its words in Chinese.
    const started = await call('POST', '/api/v1/notifications/preview', {
      titleTemplate: '{{user}}',
      event: 'STREAM_STARTED',
    });
    expect(started.body).toMatchObject({
      title: expect.stringMatching(/^(Stream started|开始播放|開始播放): Test user$/),
      body: expect.stringContaining('Severance'),
    });
    const down = await call('POST', '/api/v1/notifications/preview', { event: 'SERVER_DOWN' });
    expect((down.body as { body: string }).body).toContain('Home Plex');
    expect((await call('POST', '/api/v1/notifications/preview', { event: 'NOTHING' })).status).toBe(400);
    const audit = await call('GET', '/api/v1/audit?action=channel.');
    // (A refused preview is logged as refused, as every refused change is.)
    expect(
      audit.body!.entries.filter(
        (e: { action: string; outcome: string }) => e.action === 'channel.preview' && e.outcome === 'ok',
      ),
    ).toEqual([]);
  });
});
