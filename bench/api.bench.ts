// The API under a dashboard's load: GET sessions/active and analytics/overview with 2,000 plays
// going on, 10 clients asking at once, answered the way this release does (the live state kept
// from the bus, analytics kept a few seconds) beside the way the previous one did (a warehouse
// query per request), in the same run over the same data; then the live WebSocket's fan-out: the
// delay from a connector's event on the bus to the last of 200 clients receiving it.
// BENCH_API_PLAYS, BENCH_API_CLIENTS and BENCH_LIVE_SOCKETS change the sizes.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { buildApi } from '../api/app.ts';
import { openConfiguration } from '../api/configuration.ts';
import { LiveHub } from '../api/live.ts';
import { EmbeddedBus } from '../bus/embedded/embedded-bus.ts';
import { publish } from '../bus/typed.ts';
import { GeoIp, placeAddress } from '../core/geoip.ts';
import { createLogger } from '../core/logger.ts';
import { SecretBox } from '../core/secret-box.ts';
import { allTopics, topics, type PlaybackEvent } from '../schemas/index.ts';
import { setupAndSignIn, signIn, TEST_ADMIN } from '../testing/api-session.ts';
import { samplePlaybackEvent } from '../testing/fixtures.ts';
import { openWarehouse } from '../warehouse/client.ts';
import { migrate } from '../warehouse/migrations.ts';
import { SessionQueries } from '../warehouse/queries/index.ts';
import { WarehouseSink } from '../warehouse/sink.ts';
import { percentile, type Figure } from './report.ts';
import { httpLoad } from './http-load.ts';

const SERVERS = ['plex-a', 'plex-b', 'jf-a', 'emby-a'];
const WORDS =
  'amber river night crown glass harbor iron winter falcon echo summit orchard lantern delta cipher meadow'.split(' ');

const size = (bytes: number) =>
  bytes < 10_240 ? `${Math.round(bytes)} bytes` : `${Math.round(bytes / 1024).toLocaleString('en-US')} KiB`;

/** Plays `from` to `from + count - 1` as a connector reports them `now`. */
function playsGoingOn(count: number, geo: GeoIp, now: number, from = 0): PlaybackEvent[] {
  return Array.from({ length: count }, (_, j) => {
    const i = from + j;
    const observedAt = now - 1000 - (i % 240) * 1000;
    const e = samplePlaybackEvent({
      sessionKey: `live-${i}`,
      serverId: SERVERS[i % SERVERS.length]!,
      accountKey: `${SERVERS[i % SERVERS.length]}:${i % 700}`,
      userId: String(i % 700),
      userName: `viewer${i % 700}`,
      observedAt,
      playStartedAt: observedAt - (i % 90) * 60_000,
      clientIp: `81.${2 + (i % 200)}.${(i * 7) % 250}.${1 + (i % 250)}`,
      positionMs: (i % 90) * 60_000,
      playedMs: (i % 90) * 60_000,
    });
    // Titles, items and devices as varied as a real fleet's, so the answers compress as real ones do.
    const item = 10_000 + ((i * 7919) % 60_000);
    const device = createHash('sha1')
      .update(`device ${i % 900}`)
      .digest('hex');
    return {
      ...e,
      media: {
        ...e.media,
        itemId: String(item),
        title: `${WORDS[i % WORDS.length]} ${WORDS[(i * 13) % WORDS.length]} ${i % 23}`,
        grandparentItemId: String(item - (i % 40)),
        grandparentTitle: `${WORDS[(i * 7) % WORDS.length]} of ${WORDS[(i * 3) % WORDS.length]}`,
        seasonNumber: 1 + (i % 9),
        episodeNumber: 1 + (i % 17),
        imageRef: `/library/metadata/${item}/thumb/${1_700_000_000 + i * 37}`,
      },
      device: { ...e.device, deviceId: device.slice(0, 24), deviceName: `${WORDS[i % 11]} ${device.slice(0, 4)}` },
      ...placeAddress(geo, e),
    };
  });
}

export async function apiBench(
  plays = Number(process.env.BENCH_API_PLAYS ?? 2_000),
  clients = Number(process.env.BENCH_API_CLIENTS ?? 10),
  sockets = Number(process.env.BENCH_LIVE_SOCKETS ?? 200),
): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-api-'));
  const logger = createLogger('bench', 'warn');
  const warehouse = await openWarehouse({ embeddedPath: join(dir, 'clickhouse') }, logger);
  await migrate(warehouse, logger);
  const bus = new EmbeddedBus({ dir: join(dir, 'bus'), logger, defaultPartitions: 4 });
  await bus.ensureTopics(allTopics.map((t) => ({ name: t.name })));
  const geo = await GeoIp.open();
  const sink = new WarehouseSink({ bus, warehouse, logger });
  await sink.start();
  const producer = await bus.producer();
  await publish(producer, topics.playbackEvents, playsGoingOn(plays, geo, Date.now()));
  const queries = new SessionQueries(warehouse);
  while ((await queries.active()).length < plays) await new Promise((resolve) => setTimeout(resolve, 200));

  const live = new LiveHub({ bus, warehouse, logger });
  await live.start();
  const configuration = openConfiguration(warehouse, {
    secrets: new SecretBox('bench-secret-key-0123456789'),
    pollMs: 0,
  });
  const common = { warehouse, bus, logger, configuration, clientId: 'bench', loginAttemptsPerMinute: 1000 };
  // This release: the live state and analytics kept 10 s. The previous: a query per request.
  const now = await buildApi({ ...common, live, analyticsCacheMs: 10_000 });
  const before = await buildApi({ ...common });
  const nowBase = await now.listen({ host: '127.0.0.1', port: 0 });
  const beforeBase = await before.listen({ host: '127.0.0.1', port: 0 });
  const cookie = await setupAndSignIn(nowBase);
  const beforeCookie = await signIn(beforeBase, TEST_ADMIN.username, TEST_ADMIN.password);

  // Meanwhile the connectors report every play every 5 s (their default poll): 400 events/s at
  // 2,000 plays, which the sink writes and the live state takes in while the clients ask.
  let reporting = true;
  const reporter = (async () => {
    for (let round = 0; reporting; round++) {
      const slice = Math.ceil(plays / 20);
      const from = (round % 20) * slice;
      const batch = playsGoingOn(Math.min(slice, plays - from), geo, Date.now(), from).map((e) => ({
        ...e,
        eventType: 'PROGRESS' as const,
        eventId: `${e.sessionKey}:${round}`,
      }));
      await publish(producer, topics.playbackEvents, batch);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();

  const figures: Figure[] = [];
  // Enough answers that the 99th percentile is not a handful of them (1% of 3,000 is 30).
  const requests = clients * 300;
  for (const path of ['/api/v1/sessions/active', '/api/v1/analytics/overview']) {
    // One warm-up round each, so neither side pays for first compilations.
    const before = { url: `${beforeBase}${path}`, cookie: beforeCookie, clients };
    const after = { url: `${nowBase}${path}`, cookie, clients };
    // The previous way first warmed up and then measured last, with fewer requests: under the
    // reports it answers in seconds, and its backlog must not weigh on this release's figures.
    await httpLoad({ ...after, requests: clients });
    const current = await httpLoad({ ...after, requests });
    await httpLoad({ ...before, requests: clients });
    const previous = await httpLoad({ ...before, requests: clients * 5 });
    const name = `${path.replace('/api/v1/', '')}, ${plays.toLocaleString('en-US')} plays on, ${clients} clients`;
    figures.push(
      {
        suite: 'api',
        name: `${name}, p50`,
        value: Math.round(current.p50 * 10) / 10,
        unit: 'ms',
        note: `warehouse per request: ${Math.round(previous.p50)} ms`,
      },
      {
        suite: 'api',
        name: `${name}, p99`,
        value: Math.round(current.p99 * 10) / 10,
        unit: 'ms',
        note: `warehouse per request: ${Math.round(previous.p99)} ms`,
      },
      {
        suite: 'api',
        name: `${name}, answers`,
        value: Math.round(current.perSecond),
        unit: '/s',
        note: `warehouse per request: ${Math.round(previous.perSecond)}/s; ${size(current.bytes)} per answer`,
      },
    );
    if (path.endsWith('/active')) {
      // Clients that do not accept gzip get the whole text: the same answers, ten times the bytes.
      const plain = await httpLoad({ ...after, requests, acceptEncoding: 'identity' });
      figures.push(
        {
          suite: 'api',
          name: `${name}, without gzip, p50`,
          value: Math.round(plain.p50 * 10) / 10,
          unit: 'ms',
          note: `${size(plain.bytes)} per answer`,
        },
        {
          suite: 'api',
          name: `${name}, without gzip, p99`,
          value: Math.round(plain.p99 * 10) / 10,
          unit: 'ms',
          note: `${Math.round(plain.perSecond)} answers/s`,
        },
      );
    }
  }
  reporting = false;
  await reporter;
  await before.close();

  // Fan-out: every client must see each event; the delay is counted to the last of them.
  const url = `${nowBase.replace('http', 'ws')}/api/v1/live`;
  const pending = new Map<string, { sentAt: number; left: number; done: (ms: number) => void }>();
  const clientsOpen = await Promise.all(
    Array.from(
      { length: sockets },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const socket = new WebSocket(url, { headers: { cookie } });
          socket.on('message', (data) => {
            const message = JSON.parse(String(data)) as { type: string; session?: { sessionKey: string } };
            const waiting = message.session && pending.get(message.session.sessionKey);
            if (!waiting || message.type !== 'session.started') return;
            if (--waiting.left === 0) waiting.done(performance.now() - waiting.sentAt);
          });
          socket.once('open', () => resolve(socket));
          socket.once('error', reject);
        }),
    ),
  );
  const delays: number[] = [];
  for (let i = 0; i < 200; i++) {
    const event = { ...playsGoingOn(1, geo, Date.now())[0]!, sessionKey: `fan-out-${i}` };
    const delivered = new Promise<number>((resolve) =>
      pending.set(event.sessionKey, { sentAt: performance.now(), left: sockets, done: resolve }),
    );
    await publish(producer, topics.playbackEvents, [event]);
    delays.push(await delivered);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  delays.sort((a, b) => a - b);
  figures.push(
    {
      suite: 'api',
      name: `live feed to ${sockets} clients, event to the last client, p50`,
      value: Math.round(percentile(delays, 50)),
      unit: 'ms',
    },
    {
      suite: 'api',
      name: `live feed to ${sockets} clients, event to the last client, p99`,
      value: Math.round(percentile(delays, 99)),
      unit: 'ms',
      note: `over ${delays.length} events`,
    },
  );

  for (const socket of clientsOpen) socket.close();
  await now.close();
  await live.stop();
  await sink.stop();
  await bus.close();
  await warehouse.close();
  rmSync(dir, { recursive: true, force: true });
  return figures;
}
