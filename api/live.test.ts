import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { gunzipSync } from 'node:zlib';
import { waitFor } from '../testing/bus-contract.ts';
import { rawRequest } from '../testing/raw-http.ts';
import { EmbeddedBus } from '../bus/embedded/embedded-bus.ts';
import { DEVICES, movie, user } from '../connectors/fakes/catalog.ts';
import { FakePlexServer } from '../connectors/fakes/fake-plex.ts';
import { ConnectorRunner } from '../connectors/runner.ts';
import { localControl } from '../connectors/commands.ts';
import { createLogger } from '../core/logger.ts';
import { allTopics } from '../schemas/index.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import { buildApi } from './app.ts';
import { setupAndSignIn } from '../testing/api-session.ts';
import { testConfiguration } from '../testing/configuration.ts';
import { LiveHub, type LiveMessage } from './live.ts';
import { GeoIp } from '../core/geoip.ts';
import { metricsCollector } from '../runtime/metrics.ts';

const logger = createLogger('test');
const plex = new FakePlexServer('plex-token');
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let bus: EmbeddedBus;
let runner: ConnectorRunner;
let live: LiveHub;
let app: FastifyInstance;
let base: string;
let cookie: string;

beforeAll(async () => {
  await plex.start();
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
  bus = new EmbeddedBus({ dir: mkdtempSync(join(tmpdir(), 'sw-live-')), logger, defaultPartitions: 2 });
  await bus.ensureTopics(allTopics.map((t) => ({ name: t.name })));
  runner = new ConnectorRunner({
    producer: await bus.producer(),
    // The connectors place the events they make; the live hub reads the place off the record.
    geo: await GeoIp.open(),
    logger,
    clientId: 'sw-test',
    timing: { pollIntervalMs: 200, feedPollIntervalMs: 300, metricsIntervalMs: 500 },
    librarySync: null,
  });
  await runner.apply([
    { id: 'plex-home', name: 'Home', type: 'plex', url: plex.url, token: 'plex-token', enabled: true },
  ]);
  live = new LiveHub({ bus, warehouse, logger });
  await live.start();
  app = await buildApi({
    warehouse,
    bus,
    logger,
    live,
    control: localControl(runner),
    serverStatus: () => runner.statuses(),
    metrics: metricsCollector({ bus, connectors: runner }),
    configuration: testConfiguration(warehouse),
    clientId: 'live-test',
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  cookie = await setupAndSignIn(base);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await live?.stop();
  await runner?.stop();
  await bus?.close();
  await warehouse?.drop();
  await plex.stop();
});

function connect(headers: Record<string, string>): Promise<{ socket: WebSocket; messages: LiveMessage[] }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/api/v1/live`, { headers });
    const messages: LiveMessage[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data)) as LiveMessage));
    socket.once('open', () => resolve({ socket, messages }));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
    socket.once('error', reject);
  });
}

describe('live WebSocket and stopping streams', () => {
  it('refuses the WebSocket without a session', async () => {
    await expect(connect({})).rejects.toThrow(/handshake refused: 401/);
  });

  it('pushes a session started on the media server, then its stop requested through the API', async () => {
    const { socket, messages } = await connect({ cookie });
    await waitFor(() => messages.length > 0, 'the snapshot');
    expect(messages[0]).toMatchObject({ type: 'snapshot', sessions: [] });

    const session = plex.startSession({
      user: user('42', 'alice'),
      item: movie('5001', 'Dune'),
      device: { ...DEVICES.tv(), name: '<b>Den</b> TV' },
      ip: '81.2.69.142',
    });
    await waitFor(() => messages.some((m) => m.type === 'session.started'), 'the session on the socket', 15_000);
    const started = messages.find((m) => m.type === 'session.started') as Extract<LiveMessage, { session: unknown }>;
    expect(started.session).toMatchObject({
      serverId: 'plex-home',
      accountKey: 'plex-home:42',
      userName: 'alice',
      sessionKey: session.key,
      title: 'Dune',
      deviceName: '<b>Den</b> TV',
      clientIp: '81.2.69.142',
      countryCode: 'GB',
      city: expect.any(String),
      latitude: expect.any(Number),
    });
    await waitFor(() => messages.some((m) => m.type === 'server.status'), 'server status on the socket', 15_000);

    // No sink runs here, so the warehouse knows nothing: the list and the overview come from the live state.
    const get = async <T>(path: string) => (await (await fetch(`${base}${path}`, { headers: { cookie } })).json()) as T;
    const active = await get<{ sessions: Array<{ sessionKey: string; title: string; startedAt: string }> }>(
      '/api/v1/sessions/active',
    );
    expect(active.sessions).toEqual([
      expect.objectContaining({ sessionKey: session.key, title: 'Dune', startedAt: expect.stringMatching(/Z$/) }),
    ]);
    expect(await get('/api/v1/analytics/overview')).toMatchObject({ streamsNow: 1, playsToday: 0 });
    // Narrowed to servers, as the overview is.
    expect(await get('/api/v1/sessions/active?servers=elsewhere')).toEqual({ sessions: [] });
    expect(await get('/api/v1/sessions/active?servers=plex-home,elsewhere')).toEqual(active);

    // The same list gzipped for a client that takes it, once the answer's compression is done, and
    // an ETag that makes a poller's ask for an unchanged list a 304.
    const ask = (headers: Record<string, string>) =>
      rawRequest(base, 'GET', '/api/v1/sessions/active', { cookie, ...headers });
    const plain = await ask({ 'accept-encoding': 'identity' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toMatch(/accept-encoding/i);
    expect(JSON.parse(plain.body)).toEqual(active);
    await waitFor(
      async () => (await ask({ 'accept-encoding': 'br;q=1, gzip;q=0.5' })).headers['content-encoding'] === 'gzip',
      'a gzipped answer',
    );
    const zipped = await ask({ 'accept-encoding': 'gzip' });
    expect(JSON.parse(gunzipSync(zipped.raw).toString('utf8'))).toEqual(active);
    expect((await ask({ 'accept-encoding': 'gzip;q=0' })).headers['content-encoding']).toBeUndefined();
    const etag = String(zipped.headers.etag);
    expect(etag).toMatch(/^".+"$/);
    const unchanged = await ask({ 'if-none-match': etag });
    expect([unchanged.status, unchanged.body]).toEqual([304, '']);
    expect((await ask({ 'if-none-match': '"another"' })).status).toBe(200);
    // As RFC 9110 compares them: any tag of a list, weakly, or "*"; a reload asking no-cache gets the list.
    expect((await ask({ 'if-none-match': `"another", ${etag}` })).status).toBe(304);
    expect((await ask({ 'if-none-match': `W/${etag}` })).status).toBe(304);
    expect((await ask({ 'if-none-match': '*' })).status).toBe(304);
    expect((await ask({ 'if-none-match': etag, 'cache-control': 'no-cache' })).status).toBe(200);

    const stop = await fetch(`${base}/api/v1/sessions/plex-home/${session.key}/terminate`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'Sharing is not allowed' }),
    });
    expect(stop.status).toBe(202);
    expect(plex.terminations).toEqual([
      expect.objectContaining({ sessionId: session.id, reason: 'Sharing is not allowed' }),
    ]);
    await waitFor(() => messages.some((m) => m.type === 'session.stopped'), 'the stop on the socket', 15_000);
    socket.close();

    const late = await connect({ cookie });
    await waitFor(() => late.messages.length > 0, 'a new snapshot');
    expect(late.messages[0]).toMatchObject({ type: 'snapshot', sessions: [] });
    late.socket.close();
  });

  it('reports Prometheus figures: server status, sessions, consumer lag', async () => {
    await waitFor(() => runner.statuses()[0]?.status === 'UP', 'the server up');
    const response = await fetch(`${base}/metrics`, { headers: { cookie } });
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain('# TYPE streamwarden_server_up gauge');
    expect(text).toMatch(/^streamwarden_server_up\{server="plex-home",status="UP"\} 1$/m);
    expect(text).toMatch(/^streamwarden_consumer_lag\{group="pipeline"\} \d+$/m);
    // Bounded state, with its sizes: the API's own and the connectors'.
    expect(text).toMatch(/^streamwarden_cache_entries\{cache="live-sessions"\} \d+$/m);
    expect(text).toMatch(/^streamwarden_cache_limit\{cache="analytics-answers"\} 1000$/m);
    expect(text).toMatch(/^streamwarden_cache_limit\{cache="plex-source-media",server="plex-home"\} 5000$/m);
    expect(text.match(/^# TYPE streamwarden_cache_entries gauge$/gm)).toHaveLength(1);
    expect(Number(text.match(/^process_resident_memory_bytes (\d+)$/m)?.[1])).toBeGreaterThan(
      Number(text.match(/^nodejs_heap_size_used_bytes (\d+)$/m)?.[1]),
    );
    const servers = (await (await fetch(`${base}/api/v1/servers/status`, { headers: { cookie } })).json()) as {
      servers: Array<{ serverId: string; status: string }>;
    };
    expect(servers.servers).toEqual([expect.objectContaining({ serverId: 'plex-home', status: 'UP' })]);
  });

  it('explains a stop that cannot be done', async () => {
    const unknown = await fetch(`${base}/api/v1/sessions/nowhere/1/terminate`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unknown.status).toBe(404);
    const invalid = await fetch(`${base}/api/v1/sessions/plex-home/1/terminate`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'x'.repeat(501) }),
    });
    expect(invalid.status).toBe(400);
    const anonymous = await fetch(`${base}/api/v1/sessions/plex-home/1/terminate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(anonymous.status).toBe(401);
  });
});
