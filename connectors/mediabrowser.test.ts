import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FakeMediaBrowserServer } from './fakes/fake-mediabrowser.ts';
import { DEVICES, MOVIES, SHOWS, episode, movie, user } from './fakes/catalog.ts';
import type { ServerRequestError } from './http.ts';
import { MediaBrowserClient, mapMediaBrowserSession } from './mediabrowser.ts';

describe.each(['JELLYFIN', 'EMBY'] as const)('%s client against a server of that kind', (flavor) => {
  const server = new FakeMediaBrowserServer(flavor, 'api-key-123');
  const client = (token = 'api-key-123') =>
    new MediaBrowserClient({ flavor, url: server.url, token, clientId: 'sw-test' });
  const carol = user('b5c0ffee00000000000000000000aaaa', 'carol');
  const dave = user('d4ve0000000000000000000000000bbb', 'dave');
  const film = movie('m1', 'Arrival', {
    videoHeight: 2160,
    videoCodec: 'hevc',
    bitrateKbps: 20_640,
    externalIds: { imdb: 'tt2543164', tmdb: '329865' },
  });
  const ep = episode('e1', 'Dark', 1, 2, 'Lies', {
    videoHeight: 1080,
    bitrateKbps: 8640,
    externalIds: { tvdb: '6202652', imdb: 'tt5753512' },
  });

  beforeAll(async () => {
    await server.start();
    server.addUser({ ...carol, isAdmin: true });
    server.addUser(dave);
    server.addLibrary(MOVIES, [film, ...Array.from({ length: 4 }, (_, i) => movie(`m${i + 2}`, `Film ${i}`))]);
    server.addLibrary(SHOWS, [ep]);
  });
  afterAll(() => server.stop());

  it('maps a transcoding session: ticks to ms, IPv4-mapped address, decisions, codecs, resolutions', async () => {
    const s = server.startSession({
      user: carol,
      item: film,
      device: DEVICES.browser('dev-1'),
      ip: '203.0.113.50',
      positionMs: 90_000,
      transcode: { videoHeight: 1080, videoCodec: 'h264', bitrateKbps: 10_000, reasons: ['VideoCodecNotSupported'] },
    });
    const snapshot = await client().sessions();
    s.stop();
    expect(snapshot.skipped).toEqual([]);
    expect(snapshot.sessions).toEqual([
      {
        sessionKey: s.id,
        terminateId: s.id,
        userId: carol.id,
        userName: 'carol',
        media: {
          itemId: 'm1',
          title: 'Arrival',
          mediaType: 'MOVIE',
          parentItemId: null,
          parentTitle: null,
          grandparentItemId: null,
          grandparentTitle: null,
          seasonNumber: null,
          episodeNumber: null,
          year: 2021,
          libraryId: null,
          imageRef: expect.stringMatching(/^m1\/[0-9a-f]{32}$/),
        },
        device: {
          deviceId: 'dev-1',
          deviceName: 'Firefox',
          player: 'Jellyfin Web',
          product: 'Jellyfin Web',
          platform: 'Firefox',
          productVersion: '10.10.7',
        },
        clientIp: '203.0.113.50',
        networkLocation: 'WAN',
        playState: 'PLAYING',
        positionMs: 90_000,
        durationMs: 7_200_000,
        quality: {
          videoDecision: 'TRANSCODE',
          audioDecision: 'DIRECT_STREAM',
          isTranscode: true,
          transcodeHardware: false,
          transcodeAccelerator: null,
          transcodeReasons: ['VideoCodecNotSupported'],
          bitrateKbps: 10_000,
          sourceBitrateKbps: 20_640,
          bandwidthKbps: 10_000,
          sourceVideoResolution: '4k',
          streamVideoResolution: '1080',
          sourceVideoCodec: 'hevc',
          streamVideoCodec: 'h264',
          sourceAudioCodec: 'eac3',
          streamAudioCodec: 'eac3',
          container: 'ts',
        },
      },
    ]);
  });

  it('maps a paused direct play episode on the LAN and ignores idle clients', async () => {
    const s = server.startSession({ user: dave, item: ep, device: DEVICES.tv('tv-7'), ip: '192.168.1.30' }).pause();
    const { sessions, skipped } = await client().sessions();
    s.stop();
    expect(skipped).toEqual([]);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({
      playState: 'PAUSED',
      networkLocation: 'LAN',
      media: {
        mediaType: 'EPISODE',
        grandparentTitle: 'Dark',
        seasonNumber: 1,
        episodeNumber: 2,
        parentTitle: 'Season 1',
      },
      quality: { videoDecision: 'DIRECT_PLAY', audioDecision: 'DIRECT_PLAY', isTranscode: false, bitrateKbps: 8640 },
    });
    // The series' poster (SeriesId and SeriesPrimaryImageTag), not the episode's own image.
    expect(sessions[0]!.media.imageRef).toMatch(/^dark\/[0-9a-f]{32}$/);
  });

  it("has no poster for an item without a Primary image, and lists the library's posters", async () => {
    const bare = movie('m9', 'No art', { libraryId: '99', noArt: true });
    server.addItems([bare]);
    const s = server.startSession({ user: dave, item: bare, device: DEVICES.tv('tv-8'), ip: '192.168.1.31' });
    const { sessions } = await client().sessions();
    s.stop();
    expect(sessions[0]!.media.imageRef).toBeNull();
    const films = await client().libraryItems(MOVIES.id, 0, 1);
    expect(films.items[0]!.imageRef).toMatch(/^m1\/[0-9a-f]{32}$/);
  });

  it('reports a session without UserId as skipped with its key', async () => {
    const s = server.startSession({ user: dave, item: ep, device: DEVICES.tv(), ip: '203.0.113.8' });
    server.fail('partial-entry');
    const snapshot = await client().sessions();
    s.stop();
    expect(snapshot.skipped).toEqual([{ sessionKey: s.id, reason: `session ${s.id} has no UserId` }]);
    expect(snapshot.sessions).toEqual([]);
  });

  it('lists users with their policy', async () => {
    const users = await client().users();
    expect(users.map((u) => [u.userId, u.userName, u.isAdmin, u.isDisabled])).toEqual([
      [carol.id, 'carol', true, false],
      [dave.id, 'dave', false, false],
    ]);
  });

  it('pages through a library with media sources', async () => {
    const c = client();
    const libraries = await c.libraries();
    expect(libraries.map((l) => [l.libraryId, l.kind])).toEqual([
      ['1', 'movies'],
      ['2', 'tvshows'],
    ]);
    const first = await c.libraryItems('1', 0, 3);
    const rest = await c.libraryItems('1', 3, 3);
    expect(first.total).toBe(5);
    expect([...first.items, ...rest.items].map((i) => i.itemId)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(first.items[0]).toMatchObject({
      title: 'Arrival',
      videoResolution: '4k',
      videoCodec: 'hevc',
      audioCodec: 'eac3',
      sizeBytes: 21_600_000_000,
      bitrateKbps: 20_640,
      container: 'mkv',
      durationMs: 7_200_000,
    });
  });

  it("reads items' ProviderIds (asked for in Fields) and episode numbers", async () => {
    const c = client();
    expect((await c.libraryItems('1', 0, 1)).items[0]).toMatchObject({
      externalIds: ['imdb:tt2543164', 'tmdb:329865'],
      seasonNumber: null,
    });
    expect((await c.libraryItems('2', 0, 1)).items[0]).toMatchObject({
      title: 'Lies',
      grandparentTitle: 'Dark',
      seasonNumber: 1,
      episodeNumber: 2,
      externalIds: ['imdb:tt5753512', 'tvdb:6202652'],
    });
  });

  it('shows the user a message, then stops the stream', async () => {
    const s = server.startSession({ user: carol, item: film, device: DEVICES.browser(), ip: '203.0.113.60' });
    await client().terminate(s.id, 'Please do not share your account');
    expect(server.messages.at(-1)).toEqual({
      sessionId: s.id,
      header: 'Streamwarden',
      text: 'Please do not share your account',
    });
    expect(server.terminations.at(-1)).toMatchObject({ sessionId: s.id });
    expect(server.sessions.has(s.id)).toBe(false);
    expect(
      server.requests
        .filter((r) => r.method === 'POST')
        .map((r) => r.path)
        .slice(-2),
    ).toEqual(
      flavor === 'EMBY'
        ? [`/emby/Sessions/${s.id}/Message`, `/emby/Sessions/${s.id}/Playing/Stop`]
        : [`/Sessions/${s.id}/Message`, `/Sessions/${s.id}/Playing/Stop`],
    );
  });

  it('shows the user a message and leaves the stream playing', async () => {
    const s = server.startSession({ user: carol, item: film, device: DEVICES.browser(), ip: '203.0.113.61' });
    const terminations = server.terminations.length;
    await client().message!(s.id, 'This is your third stream at once');
    expect(server.messages.at(-1)).toEqual({
      sessionId: s.id,
      header: 'Streamwarden',
      text: 'This is your third stream at once',
    });
    expect(server.terminations).toHaveLength(terminations);
    expect(server.sessions.has(s.id)).toBe(true);
    // A session the server does not know is an error, not a silent success.
    await expect(client().message!('no-such-session', 'x')).rejects.toThrow(/404/);
    s.stop();
  });

  // What real servers send, and what a play of it is (issue 15).
  const only = async (spec: Parameters<typeof server.startSession>[0]) => {
    const s = server.startSession(spec);
    const snapshot = await client().sessions();
    s.stop();
    return snapshot.sessions;
  };

  it('labels resolutions by width and height together, for the source and the stream', async () => {
    const scope = movie('r1', 'Scope', { videoWidth: 1280, videoHeight: 536, videoCodec: 'h264' });
    const pal = movie('r2', 'PAL DVD', { videoWidth: 720, videoHeight: 576, videoCodec: 'mpeg2video' });
    const [a] = await only({ user: dave, item: scope, device: DEVICES.browser('r-1'), ip: '203.0.113.51' });
    expect(a!.quality.sourceVideoResolution).toBe('720');
    const [b] = await only({
      user: dave,
      item: pal,
      device: DEVICES.browser('r-2'),
      ip: '203.0.113.51',
      transcode: { videoWidth: 1280, videoHeight: 544, bitrateKbps: 4000 },
    });
    expect(b!.quality.sourceVideoResolution).toBe('576');
    expect(b!.quality.streamVideoResolution).toBe('720');
  });

  it('reports the audio track being played, and the bit rate of what is played only', async () => {
    const multi = movie('a1', 'Three tracks', {
      videoCodec: 'h264',
      videoHeight: 1080,
      bitrateKbps: 7460 + 640,
      audioTracks: [
        { codec: 'eac3', bitrateKbps: 640, isDefault: true },
        { codec: 'truehd', bitrateKbps: 4000 },
        { codec: 'aac', bitrateKbps: 192, title: 'Commentary' },
      ],
    });
    const [played] = await only({
      user: dave,
      item: multi,
      device: DEVICES.browser('a-1'),
      ip: '203.0.113.52',
      audioStreamIndex: 2,
    });
    expect(played!.quality.sourceAudioCodec).toBe('truehd');
    expect(played!.quality.streamAudioCodec).toBe('truehd');
    expect(played!.quality.sourceBitrateKbps).toBe(7460 + 4000);
  });

  it('tells hardware transcoding the way this server reports it', async () => {
    const [s] = await only({
      user: dave,
      item: film,
      device: DEVICES.browser('h-1'),
      ip: '203.0.113.53',
      transcode: { videoHeight: 720, bitrateKbps: 3000, hardware: true },
    });
    expect(s!.quality.transcodeHardware).toBe(true);
    expect(s!.quality.transcodeAccelerator).toBe(flavor === 'EMBY' ? 'VAAPI' : 'vaapi');
  });

  it('never takes a trailer or a cinema pre-roll for a play', async () => {
    for (const extra of ['trailer', 'preroll'] as const) {
      const sessions = await only({
        user: dave,
        item: movie(`x-${extra}`, `A ${extra}`, { extra }),
        device: DEVICES.browser('x-1'),
        ip: '203.0.113.54',
      });
      expect(sessions, extra).toEqual([]);
    }
  });

  it('shows the programme of a live TV channel, with the channel as what it is on', async () => {
    const [s] = await only({
      user: dave,
      item: movie('tv1', 'BBC One', { programme: 'Doctor Who' }),
      device: DEVICES.browser('tv-1'),
      ip: '203.0.113.55',
    });
    expect(s!.media).toMatchObject({ title: 'Doctor Who', grandparentTitle: 'BBC One', mediaType: 'LIVE_TV' });
  });

  it('identifies the server and refuses a wrong key', async () => {
    expect(await client().identity()).toMatchObject({
      name: flavor === 'JELLYFIN' ? 'Fake Jellyfin' : 'Fake Emby',
      machineId: server.serverId,
    });
    const refused = await client('nope')
      .sessions()
      .catch((e: unknown) => e);
    expect((refused as ServerRequestError).reason).toBe('AUTH');
  });
});

describe('MediaBrowser session entries', () => {
  it('takes a null or missing NowPlayingItem for an idle client, not an error', () => {
    expect(mapMediaBrowserSession({ Id: 'a', UserId: 'u', NowPlayingItem: null })).toBeNull();
    expect(mapMediaBrowserSession({ Id: 'a', UserId: 'u' })).toBeNull();
  });

  it('reads a missing PlayState as playing from the start', () => {
    const mapped = mapMediaBrowserSession({
      Id: 'a',
      UserId: 'u',
      NowPlayingItem: { Id: 'i', Name: 'x', Type: 'Movie' },
    });
    expect(mapped).toMatchObject({
      playState: 'PLAYING',
      positionMs: 0,
      durationMs: null,
      clientIp: '',
      networkLocation: 'UNKNOWN',
      quality: { videoDecision: 'NONE', audioDecision: 'NONE' },
    });
  });
});

// The real servers' SessionInfoWebSocketListener sends the session list when something happens,
// never on a timer: at once for a start, stop, pause or resume (a forced send), and for a client's
// routine progress report only when the asked interval has passed since the last push.
describe.each(['JELLYFIN', 'EMBY'] as const)('%s WebSocket, as the fake pushes it', (flavor) => {
  it('pushes a pause at once, routine progress once per interval, and nothing while nothing happens', async () => {
    const server = await new FakeMediaBrowserServer(flavor, 'socket-key').start();
    try {
      const path = flavor === 'JELLYFIN' ? '/socket' : '/embyws';
      const socket = new WebSocket(`${server.url.replace('http', 'ws')}${path}?api_key=socket-key&deviceId=test`);
      const pushed: Array<Array<{ Id: string; PlayState?: { IsPaused?: boolean } }>> = [];
      socket.on('message', (raw) => {
        const message = JSON.parse(String(raw)) as { MessageType: string; Data: (typeof pushed)[number] };
        if (message.MessageType === 'Sessions') pushed.push(message.Data);
      });
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ MessageType: 'SessionsStart', Data: '0,60000' }));
      await until(() => server.socketMessages.length === 1);

      const s = server.startSession({
        user: user('u1', 'erin'),
        item: movie('m9', 'Heat'),
        device: DEVICES.tv(),
        ip: '198.51.100.9',
      });
      await until(() => pushed.length === 1);
      expect(pushed[0]!.some((x) => x.Id === s.id)).toBe(true);
      // Routine progress within the minute's interval: not pushed.
      s.progress(10_000).progress(10_000);
      s.pause();
      await until(() => pushed.length === 2);
      expect(pushed[1]!.find((x) => x.Id === s.id)?.PlayState?.IsPaused).toBe(true);
      s.stop();
      await until(() => pushed.length === 3);
      expect(pushed[2]!.some((x) => x.Id === s.id)).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(pushed).toHaveLength(3);
      socket.close();
    } finally {
      await server.stop();
    }
  });
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(check()).toBe(true);
}
