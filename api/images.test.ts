// Posters through the API's image proxy, over real HTTP, with the fake servers serving art as the
// real ones do (Plex's photo transcoder, Jellyfin's and Emby's item images): signed-in reads only,
// the image scaled to the width asked for, kept in memory once fetched, references of any other
// shape refused before the server is asked, and the server's token never in what the browser gets.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICES, MOVIES, SHOWS, episode, movie, user } from '../connectors/fakes/catalog.ts';
import { FakeMediaBrowserServer } from '../connectors/fakes/fake-mediabrowser.ts';
import { FakePlexServer } from '../connectors/fakes/fake-plex.ts';
import { MediaBrowserClient } from '../connectors/mediabrowser.ts';
import { PlexClient } from '../connectors/plex.ts';
import { createLogger } from '../core/logger.ts';
import { setupAndSignIn } from '../testing/api-session.ts';
import { testConfiguration } from '../testing/configuration.ts';
import { samplePlaybackEvent } from '../testing/fixtures.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import { playbackEventRow } from '../warehouse/rows.ts';
import { buildApi } from './app.ts';

const logger = createLogger('test');
const plex = new FakePlexServer('plex-secret-token');
const jellyfin = new FakeMediaBrowserServer('JELLYFIN', 'jellyfin-secret-key');
const emby = new FakeMediaBrowserServer('EMBY', 'emby-secret-key');
const show = episode('6001', 'Westeros', 8, 3, 'The Long Night');
const film = movie('5001', 'Dune');
const bare = movie('5002', 'No art', { noArt: true });
const record = { topic: 'test', partition: 0, offset: '0', key: null, value: null, headers: {}, timestamp: 0 };
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let app: FastifyInstance;
let base: string;
let cookie: string;

const pngSize = (bytes: ArrayBuffer) => {
  const view = new DataView(bytes);
  return { width: view.getUint32(16), height: view.getUint32(20) };
};
const image = (serverId: string, ref: string, width?: number, headers: Record<string, string> = { cookie }) =>
  fetch(`${base}/api/v1/servers/${serverId}/image?ref=${encodeURIComponent(ref)}${width ? `&width=${width}` : ''}`, {
    headers,
  });
const asked = (server: { requests: Array<{ path: string }> }, pattern: RegExp) =>
  server.requests.filter((r) => pattern.test(r.path)).length;

beforeAll(async () => {
  for (const server of [plex, jellyfin, emby]) {
    await server.start();
    server.addLibrary(MOVIES, [film, bare]);
    server.addLibrary(SHOWS, [show]);
  }
  warehouse = await openTestWarehouse();
  await migrate(warehouse, logger);
  const configuration = testConfiguration(warehouse);
  for (const [id, type, server] of [
    ['plex-home', 'plex', plex],
    ['jelly', 'jellyfin', jellyfin],
    ['emby-1', 'emby', emby],
  ] as const)
    await configuration.servers.save(
      { id, name: id, type, url: server.url, token: server.token, enabled: true },
      'test',
      'add',
    );
  app = await buildApi({ warehouse, logger, configuration, clientId: 'images-test' });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  cookie = await setupAndSignIn(base);
}, 60_000);

afterAll(async () => {
  await app?.close();
  for (const server of [plex, jellyfin, emby]) await server.stop();
  await warehouse?.drop();
});

describe('the image proxy', () => {
  it("serves the Plex show's poster a session names, at the width asked for, to signed-in users only", async () => {
    const session = plex.startSession({
      user: user('42', 'alice'),
      item: show,
      device: DEVICES.tv(),
      ip: '203.0.113.7',
    });
    const [observed] = (await new PlexClient({ url: plex.url, token: plex.token, clientId: 'x' }).sessions()).sessions;
    session.stop();
    const ref = observed!.media.imageRef!;

    expect((await image('plex-home', ref, 150, {})).status).toBe(401);
    const response = await image('plex-home', ref, 150);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('cache-control')).toContain('private');
    const bytes = await response.arrayBuffer();
    // 150 is served at 160, a 2:3 poster.
    expect(pngSize(bytes)).toEqual({ width: 160, height: 240 });
    expect(Buffer.from(bytes).includes('plex-secret-token')).toBe(false);
    response.headers.forEach((value) => expect(value).not.toContain('plex-secret-token'));

    const fetched = asked(plex, /^\/photo\/:\/transcode$/);
    expect((await image('plex-home', ref, 160)).status).toBe(200);
    expect(asked(plex, /^\/photo\/:\/transcode$/)).toBe(fetched);
  });

  it('refuses a reference of any other shape before asking the server', async () => {
    const before = plex.requests.length;
    for (const ref of [
      '/library/sections/1/all',
      'https://elsewhere.example/poster.jpg',
      '/library/metadata/1/thumb/1?X-Plex-Token=x',
      '/library/metadata/../../:/prefs/thumb/1',
    ]) {
      const response = await image('plex-home', ref);
      expect(response.status, ref).toBe(400);
      expect(((await response.json()) as { message: string }).message).toMatch(/not an image reference/);
    }
    const jellyfinBefore = jellyfin.requests.length;
    expect((await image('jelly', '../System/Info/x')).status).toBe(400);
    expect(jellyfin.requests.length).toBe(jellyfinBefore);
    expect(plex.requests.length).toBe(before);
  });

  it('answers 404 for an item the server has no art for, and for a server it does not know', async () => {
    expect((await image('plex-home', '/library/metadata/5002/thumb/1736899200')).status).toBe(404);
    expect((await image('nowhere', '/library/metadata/5001/thumb/1736899200')).status).toBe(404);
  });

  it.each([
    ['jelly', jellyfin, 'JELLYFIN'],
    ['emby-1', emby, 'EMBY'],
  ] as const)("serves a %s series' poster with its tag, at the width asked for", async (serverId, server, flavor) => {
    const session = server.startSession({
      user: user('u1', 'carol'),
      item: show,
      device: DEVICES.tv(),
      ip: '203.0.113.8',
    });
    const client = new MediaBrowserClient({ flavor, url: server.url, token: server.token, clientId: 'x' });
    const [observed] = (await client.sessions()).sessions;
    session.stop();
    const ref = observed!.media.imageRef!;
    expect(ref).toMatch(/^westeros\/[0-9a-f]{32}$/);
    const response = await image(serverId, ref, 300);
    expect(response.status).toBe(200);
    expect(pngSize(await response.arrayBuffer())).toEqual({ width: 320, height: 480 });
    expect(asked(server, /\/Items\/westeros\/Images\/Primary$/)).toBe(1);
    if (flavor === 'EMBY') expect(asked(server, /^\/emby\/Items\/westeros\/Images\/Primary$/)).toBe(1);
  });

  it("gives plays the poster's address through the proxy, and none to a play without art", async () => {
    const withArt = samplePlaybackEvent({ observedAt: Date.now() - 60_000, sessionKey: 'with-art' });
    const without = samplePlaybackEvent({ observedAt: Date.now() - 30_000, sessionKey: 'without-art' });
    await warehouse.client.insert({
      table: warehouse.table('playback_events'),
      values: [withArt, { ...without, media: { ...without.media, imageRef: null } }].map((e) =>
        playbackEventRow(e, record),
      ),
      format: 'JSONEachRow',
    });
    const page = (await (await fetch(`${base}/api/v1/sessions/history?period=7d`, { headers: { cookie } })).json()) as {
      sessions: Array<{ sessionKey: string; poster: string | null }>;
    };
    const poster = Object.fromEntries(page.sessions.map((s) => [s.sessionKey, s.poster]));
    expect(poster).toEqual({
      'with-art': `/api/v1/servers/plex-home/image?ref=${encodeURIComponent('/library/metadata/999/thumb/1700000000')}`,
      'without-art': null,
    });
  });
});
