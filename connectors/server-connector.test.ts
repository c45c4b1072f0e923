import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/bus-contract.ts';
import type { PlaybackEvent, ServerMetricsSample } from '../schemas/index.ts';
import { captureLogger } from '../testing/logs.ts';
import { DEVICES, episode, movie, user } from './fakes/catalog.ts';
import { FakeMediaBrowserServer } from './fakes/fake-mediabrowser.ts';
import { FakePlexServer } from './fakes/fake-plex.ts';
import type { Fault } from './fakes/fleet.ts';
import { MediaBrowserClient } from './mediabrowser.ts';
import { PlexClient } from './plex.ts';
import { ServerConnector, type ConnectorDeps } from './server-connector.ts';

const alice = user('42', 'alice');
const film = movie('5001', 'Dune');
const ep = episode('6001', 'Westeros', 8, 3, 'The Long Night');
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Harness {
  connector: ServerConnector;
  events: PlaybackEvent[];
  samples: ServerMetricsSample[];
  logs: ReturnType<typeof captureLogger>;
  kinds(sessionKey?: string): string[];
}

function connect(
  deps: Omit<ConnectorDeps, 'emitEvents' | 'emitMetrics' | 'logger'> & Partial<Pick<ConnectorDeps, 'emitEvents'>>,
): Harness {
  const events: PlaybackEvent[] = [];
  const samples: ServerMetricsSample[] = [];
  const logs = captureLogger();
  const connector = new ServerConnector({
    emitEvents: async (batch) => void events.push(...batch),
    emitMetrics: async (sample) => void samples.push(sample),
    logger: logs.logger,
    ...deps,
    timing: { pollIntervalMs: 100, maxBackoffMs: 300, metricsIntervalMs: 60_000, stopGraceMs: 0, ...deps.timing },
  });
  connector.start();
  cleanups.push(() => connector.stop());
  return {
    connector,
    events,
    samples,
    logs,
    kinds: (key) => events.filter((e) => !key || e.sessionKey === key).map((e) => e.eventType),
  };
}

async function jellyfin() {
  const server = await new FakeMediaBrowserServer('JELLYFIN', 'k').start();
  cleanups.push(() => server.stop());
  const client = new MediaBrowserClient({
    flavor: 'JELLYFIN',
    url: server.url,
    token: 'k',
    clientId: 't',
    limits: { timeoutMs: 400 },
  });
  return { server, client, ref: { id: 'jf', type: 'JELLYFIN' as const, name: 'Jellyfin' } };
}

async function plex() {
  const server = await new FakePlexServer('t').start();
  cleanups.push(() => server.stop());
  const client = new PlexClient({ url: server.url, token: 't', clientId: 'sw' });
  return { server, client, ref: { id: 'plex', type: 'PLEX' as const, name: 'Plex' } };
}

describe('server connector', () => {
  it('reports the whole lifecycle of a session, including a change of address', async () => {
    const { server, client, ref } = await jellyfin();
    const h = connect({ server: ref, client });
    await waitFor(() => h.connector.status.status === 'UP', 'first poll');
    const s = server.startSession({ user: alice, item: ep, device: DEVICES.tv(), ip: '198.51.100.10' });
    await waitFor(() => h.kinds().includes('STARTED'), 'started');
    s.progress(60_000);
    await waitFor(() => h.events.some((e) => e.positionMs === 60_000), 'progress');
    s.pause();
    await waitFor(() => h.kinds().includes('PAUSED'), 'paused');
    s.resume();
    await waitFor(() => h.kinds().includes('RESUMED'), 'resumed');
    s.setIp('203.0.113.77');
    await waitFor(() => h.events.some((e) => e.clientIp === '203.0.113.77'), 'new address');
    s.stop();
    await waitFor(() => h.kinds().includes('STOPPED'), 'stopped');
    const polls = h.connector.status.counters.polls;
    await waitFor(() => h.connector.status.counters.polls >= polls + 3, 'more polls');
    const lifecycle = h.kinds().filter((k) => k !== 'PROGRESS');
    expect(lifecycle).toEqual(['STARTED', 'PAUSED', 'RESUMED', 'STOPPED']);
    expect(h.events.at(-1)).toMatchObject({
      eventType: 'STOPPED',
      accountKey: 'jf:42',
      clientIp: '203.0.113.77',
      serverType: 'JELLYFIN',
    });
  });

  it.each(['Jellyfin', 'Plex'] as const)(
    '%s: a session missing from a few polls is one play; one gone past the grace period stops when last seen',
    async (kind) => {
      const { server, client, ref } = kind === 'Plex' ? await plex() : await jellyfin();
      const h = connect({ server: ref, client, timing: { pollIntervalMs: 100, stopGraceMs: 1500 } });
      await waitFor(() => h.connector.status.status === 'UP', 'first poll');
      const s = server.startSession({ user: alice, item: film, device: DEVICES.tv(), ip: '198.51.100.10' });
      await waitFor(() => h.kinds().includes('STARTED'), 'started');
      const polls = h.connector.status.counters.polls;
      server.omitFromLists(s, 3);
      await waitFor(() => h.connector.status.counters.polls >= polls + 6, 'polls with and after the gap');
      expect(h.kinds().filter((k) => k !== 'PROGRESS')).toEqual(['STARTED']);
      const ids = new Set(h.events.map((e) => e.playStartedAt));
      expect(ids.size).toBe(1);

      // Gone for good: one stop, dated when the server last listed it (its last event before the stop).
      server.omitFromLists(s, 1_000_000);
      await waitFor(() => h.kinds().includes('STOPPED'), 'stopped after the grace period', 10_000);
      const stopAt = h.events.findIndex((e) => e.eventType === 'STOPPED');
      const lastListed = h.events[stopAt - 1]!.observedAt;
      expect(h.events[stopAt]!.observedAt).toBe(lastListed);
      expect(Date.now() - lastListed).toBeGreaterThanOrEqual(1500);
      expect(h.kinds().filter((k) => k === 'STARTED' || k === 'STOPPED')).toEqual(['STARTED', 'STOPPED']);
    },
  );

  it('Plex: a change notification re-syncs at once, and a reconnect re-reads what was missed', async () => {
    const { server, client, ref } = await plex();
    // Polls are an hour apart: only the event stream can make these events appear in time.
    const h = connect({
      server: ref,
      client,
      feed: client.changeFeed(),
      timing: { pollIntervalMs: 3_600_000, feedPollIntervalMs: 3_600_000 },
    });
    await waitFor(() => h.connector.status.feedConnected === true && server.eventStreamCount === 1, 'event stream');
    const s = server.startSession({ user: alice, item: film, device: DEVICES.tv(), ip: '198.51.100.20' });
    await waitFor(() => h.kinds().includes('STARTED'), 'started through the event stream', 5000);

    server.dropEventStreams();
    s.pause(); // notified to nobody: the stream is down
    await waitFor(() => h.kinds().includes('PAUSED'), 're-sync after the stream dropped', 15_000);
    // The re-sync may come from the drop itself, before the stream is back: wait for both.
    await waitFor(
      () => h.logs.messages().filter((m) => m === 'change feed connected').length >= 2,
      'the event stream reconnected',
      15_000,
    );
  });

  it.each(['JELLYFIN', 'EMBY'] as const)(
    '%s: the WebSocket push makes changes appear at once, with keep-alives, and a reconnect re-reads what was missed',
    async (flavor) => {
      const server = await new FakeMediaBrowserServer(flavor, 'k').start();
      cleanups.push(() => server.stop());
      server.keepAliveS = 1;
      const client = new MediaBrowserClient({ flavor, url: server.url, token: 'k', clientId: 'sw-dev' });
      // Polls are an hour apart: only the socket can make these events appear in time.
      const h = connect({
        server: { id: 'mb', type: flavor, name: flavor },
        client,
        feed: client.changeFeed(),
        timing: { pollIntervalMs: 3_600_000, feedPollIntervalMs: 3_600_000 },
      });
      await waitFor(() => h.connector.status.feedConnected === true && server.socketMessages.length > 0, 'socket');
      expect(server.socketMessages[0]).toEqual({ MessageType: 'SessionsStart', Data: '0,1500' });
      const s = server.startSession({ user: alice, item: film, device: DEVICES.tv(), ip: '198.51.100.30' });
      await waitFor(() => h.kinds().includes('STARTED'), 'started through the socket', 5000);
      await waitFor(() => server.socketMessages.some((m) => m.MessageType === 'KeepAlive'), 'a keep-alive', 3000);

      server.dropSockets();
      s.pause();
      await waitFor(() => h.kinds().includes('PAUSED'), 're-sync after the socket dropped', 15_000);
      await waitFor(
        () => h.logs.messages().filter((m) => m === 'change feed connected').length >= 2,
        'the socket reconnected',
        15_000,
      );
      s.stop();
      await waitFor(() => h.kinds().includes('STOPPED'), 'stopped through the socket', 5000);
    },
  );

  it.each<[Fault, string]>([
    ['html-error', 'HTTP'],
    ['truncated-json', 'MALFORMED'],
    ['wrong-shape', 'MALFORMED'],
    ['hang', 'TIMEOUT'],
    ['reset', 'NETWORK'],
    ['unauthorized', 'AUTH'],
  ])('after a %s answer: a counted %s failure, no crash, no false stop, polling goes on', async (fault, kind) => {
    const { server, client, ref } = await jellyfin();
    const h = connect({ server: ref, client });
    server.startSession({ user: alice, item: film, device: DEVICES.tv(), ip: '198.51.100.30' });
    await waitFor(() => h.kinds().includes('STARTED'), 'started');
    server.fail(fault);
    await waitFor(() => (h.connector.status.counters.failures[kind as 'HTTP'] ?? 0) === 1, `${kind} failure`);
    const polls = h.connector.status.counters.polls;
    await waitFor(
      () => h.connector.status.status === 'UP' && h.connector.status.counters.polls > polls + 1,
      'polling again',
    );
    expect(h.kinds()).not.toContain('STOPPED');
    expect(h.kinds().filter((k) => k === 'STARTED')).toHaveLength(1);
    expect(h.logs.lines.some((l) => l.level >= 50 && typeof l.detail === 'string')).toBe(true);
  });

  it('counts an unreadable entry and keeps its session', async () => {
    const { server, client, ref } = await jellyfin();
    const h = connect({ server: ref, client });
    const s = server.startSession({ user: alice, item: film, device: DEVICES.tv(), ip: '198.51.100.31' });
    await waitFor(() => h.kinds().includes('STARTED'), 'started');
    server.fail('partial-entry', 3);
    await waitFor(() => h.connector.status.counters.skippedEntries === 3, 'skipped entries');
    s.progress(1000);
    await waitFor(() => h.events.some((e) => e.positionMs === 1000), 'progress once readable again');
    expect(h.kinds().filter((k) => k !== 'PROGRESS')).toEqual(['STARTED']);
  });

  it('logs a server going down and coming back once each, reports its status, and keeps its sessions', async () => {
    const { server, client, ref } = await jellyfin();
    const h = connect({ server: ref, client });
    server.startSession({ user: alice, item: film, device: DEVICES.tv(), ip: '198.51.100.40' });
    await waitFor(() => h.kinds().includes('STARTED'), 'started');
    await server.goDown();
    await waitFor(() => h.connector.status.status === 'DOWN', 'down');
    const polls = h.connector.status.counters.polls;
    await waitFor(() => h.connector.status.counters.polls >= polls + 4, 'several failed polls');
    await server.comeUp();
    await waitFor(() => h.connector.status.status === 'UP', 'up again');
    expect(h.logs.messages().filter((m) => m === 'server unreachable')).toHaveLength(1);
    expect(h.logs.messages().filter((m) => m === 'server reachable')).toHaveLength(2);
    expect(h.samples.map((s) => s.status)).toEqual(expect.arrayContaining(['DOWN', 'UP']));
    expect(h.kinds()).not.toContain('STOPPED');
  });

  it('Plex: a server down from the start is polled, reported down once, and picked up when it comes', async () => {
    const { server, client, ref } = await plex();
    await server.goDown();
    // The feed retries faster than the poll interval, as in production: it must not postpone polls.
    const h = connect({
      server: ref,
      client,
      feed: client.changeFeed(),
      timing: { pollIntervalMs: 2500, maxBackoffMs: 2500 },
    });
    await waitFor(() => h.connector.status.status === 'DOWN', 'the first poll, not postponed by feed errors', 2000);
    const polls = h.connector.status.counters.polls;
    await waitFor(() => h.connector.status.counters.polls >= polls + 2, 'polls keep going while the feed fails', 9000);
    await server.comeUp();
    server.startSession({ user: alice, item: film, device: DEVICES.tv(), ip: '198.51.100.45' });
    await waitFor(() => h.kinds().includes('STARTED'), 'started once the server is up', 10_000);
    expect(h.logs.messages().filter((m) => m === 'server unreachable')).toHaveLength(1);
  });

  it('reports a refused token as AUTH_FAILED', async () => {
    const { server, ref } = await jellyfin();
    const client = new MediaBrowserClient({ flavor: 'JELLYFIN', url: server.url, token: 'wrong', clientId: 't' });
    const h = connect({ server: ref, client });
    await waitFor(() => h.connector.status.status === 'AUTH_FAILED', 'auth failed');
    expect(h.connector.status.detail).toMatch(/HTTP 401/);
    expect(h.logs.messages()).toContain('server refused the token');
  });

  it('stops the sessions of a server unreachable too long, at the time they were last seen', async () => {
    const { server, client, ref } = await jellyfin();
    const h = connect({ server: ref, client, timing: { staleAfterMs: 500 } });
    server.startSession({ user: alice, item: film, device: DEVICES.tv(), ip: '198.51.100.50' });
    await waitFor(() => h.kinds().includes('STARTED'), 'started');
    await server.goDown();
    await waitFor(() => h.kinds().includes('STOPPED'), 'stopped after the outage', 10_000);
    const lastSeen = h.events.filter((e) => e.eventType !== 'STOPPED').at(-1)!;
    expect(h.events.at(-1)!.observedAt).toBe(lastSeen.observedAt);
  });

  it('resumes from its saved sessions after a restart: no second start, one stop for what ended meanwhile', async () => {
    const { server, client, ref } = await jellyfin();
    const stateDir = mkdtempSync(join(tmpdir(), 'sw-conn-'));
    const stays = server.startSession({ user: alice, item: film, device: DEVICES.tv('tv-a'), ip: '198.51.100.60' });
    const ends = server.startSession({
      user: user('7', 'eve'),
      item: ep,
      device: DEVICES.phone('ph-b'),
      ip: '198.51.100.61',
    });
    const first = connect({ server: ref, client, stateDir });
    await waitFor(() => first.kinds().filter((k) => k === 'STARTED').length === 2, 'both started');
    await first.connector.stop();
    ends.stop();

    const client2 = new MediaBrowserClient({ flavor: 'JELLYFIN', url: server.url, token: 'k', clientId: 't' });
    const second = connect({ server: ref, client: client2, stateDir });
    await waitFor(
      () => second.kinds(ends.id).includes('STOPPED') && second.kinds(stays.id).length > 0,
      'first poll after restart',
    );
    expect(second.kinds(stays.id)[0]).toBe('PROGRESS');
    expect(second.kinds()).not.toContain('STARTED');
    expect(second.kinds(ends.id)).toEqual(['STOPPED']);
  });

  it('produces again what the bus refused: nothing is lost', async () => {
    const { server, client, ref } = await jellyfin();
    let refusals = 2;
    const delivered: PlaybackEvent[] = [];
    const h = connect({
      server: ref,
      client,
      emitEvents: async (batch) => {
        if (batch.length > 0 && refusals-- > 0) throw new Error('broker unavailable');
        delivered.push(...batch);
      },
    });
    server.startSession({ user: alice, item: film, device: DEVICES.tv(), ip: '198.51.100.70' });
    await waitFor(() => delivered.some((e) => e.eventType === 'STARTED'), 'started after refusals');
    expect(h.connector.status.counters.failures.EMIT).toBe(2);
    expect(delivered.filter((e) => e.eventType === 'STARTED')).toHaveLength(1);
  });

  it('stops a stream by session key on request and sees it stop once', async () => {
    const { server, client, ref } = await plex();
    const h = connect({ server: ref, client, feed: client.changeFeed() });
    const s = server.startSession({ user: alice, item: film, device: DEVICES.tv(), ip: '198.51.100.80' });
    await waitFor(() => h.kinds().includes('STARTED'), 'started');
    // Plex has no call that shows a message without stopping: refused with the reason, nothing sent.
    const posts = () => server.requests.filter((r) => r.method !== 'GET').length;
    const before = posts();
    await expect(h.connector.message(s.key, 'Third stream')).rejects.toMatchObject({
      kind: 'conflict',
      message: 'a PLEX server cannot show a message without stopping the stream',
    });
    expect(posts()).toBe(before);
    await h.connector.terminate(s.key, 'Stream limit reached');
    expect(server.terminations).toEqual([expect.objectContaining({ sessionId: s.id, reason: 'Stream limit reached' })]);
    await waitFor(() => h.kinds().includes('STOPPED'), 'stopped');
    await new Promise((r) => setTimeout(r, 300));
    expect(h.kinds().filter((k) => k === 'STOPPED')).toHaveLength(1);
  });

  it('Plex: refuses to stop a session listed without its Session id, sending nothing to the server', async () => {
    const { server, client, ref } = await plex();
    const h = connect({ server: ref, client });
    const s = server.startSession({
      user: alice,
      item: film,
      device: DEVICES.tv(),
      ip: '198.51.100.81',
      noSessionElement: true,
    });
    await waitFor(() => h.kinds().includes('STARTED'), 'started');
    await expect(h.connector.terminate(s.key, 'bye')).rejects.toMatchObject({
      kind: 'conflict',
      message: expect.stringMatching(/cannot be stopped/),
    });
    await expect(h.connector.terminate('no-such-key', 'bye')).rejects.toMatchObject({ kind: 'not-found' });
    expect(server.terminations).toEqual([]);
    expect(server.requests.filter((r) => r.path.includes('terminate'))).toEqual([]);
  });
});
