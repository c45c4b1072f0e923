import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakePlexServer } from './fakes/fake-plex.ts';
import { DEVICES, MOVIES, MUSIC, SHOWS, episode, movie, track, user } from './fakes/catalog.ts';
import { ServerRequestError } from './http.ts';
import { PlexClient } from './plex.ts';

const plex = new FakePlexServer('plex-token');
const client = () => new PlexClient({ url: plex.url, token: 'plex-token', clientId: 'sw-test' });
const alice = user('42', 'alice');
const bob = user('43', 'bob <script>');
const dune = movie('5001', 'Dune', {
  externalIds: { imdb: 'tt1160419', tmdb: '438631', plexGuid: 'plex://movie/5d776be17a53e9001e732ab9' },
});
const ep = episode('6001', 'Westeros', 8, 3, 'The Long Night', {
  externalIds: { tvdb: '6989573', plexGuid: 'com.plexapp.agents.thetvdb://121361/8/3?lang=en' },
});
const song = track('7001', 'Radiohead', 'Airbag');

beforeAll(async () => {
  await plex.start();
  plex.addLibrary(MOVIES, [dune, ...Array.from({ length: 7 }, (_, i) => movie(String(5100 + i), `Film ${i}`))]);
  plex.addLibrary(SHOWS, [ep]);
  plex.addLibrary(MUSIC, [song]);
});
afterAll(() => plex.stop());

describe('Plex client against a Plex-shaped server', () => {
  it('maps a transcoded remote session field for field, source quality from the item metadata', async () => {
    const session = plex.startSession({
      user: alice,
      item: ep,
      device: DEVICES.phone('iphone-9'),
      ip: '203.0.113.7',
      positionMs: 600_000,
      transcode: { videoHeight: 720, videoCodec: 'h264', bitrateKbps: 4000, hardware: true },
    });
    const snapshot = await client().sessions();
    session.stop();
    expect(snapshot.skipped).toEqual([]);
    expect(snapshot.sessions).toEqual([
      {
        sessionKey: session.key,
        terminateId: session.id,
        userId: '42',
        userName: 'alice',
        media: {
          itemId: '6001',
          title: 'The Long Night',
          mediaType: 'EPISODE',
          parentItemId: 'westeros-s8',
          parentTitle: 'Season 8',
          grandparentItemId: 'westeros',
          grandparentTitle: 'Westeros',
          seasonNumber: 8,
          episodeNumber: 3,
          year: 2019,
          libraryId: '2',
          // An episode shows its show's poster (grandparentThumb), not the still of the episode.
          imageRef: `/library/metadata/westeros/thumb/${Math.floor(ep.addedAt / 1000)}`,
        },
        device: {
          deviceId: 'iphone-9',
          deviceName: "Sam's iPhone",
          player: "Sam's iPhone",
          product: 'Plex for iOS',
          platform: 'iOS',
          productVersion: '8.40',
        },
        clientIp: '203.0.113.7',
        networkLocation: 'WAN',
        playState: 'PLAYING',
        positionMs: 600_000,
        durationMs: 3_000_000,
        quality: {
          videoDecision: 'TRANSCODE',
          audioDecision: 'DIRECT_STREAM',
          isTranscode: true,
          transcodeHardware: true,
          transcodeAccelerator: 'vaapi',
          transcodeReasons: [],
          bitrateKbps: 4000,
          sourceBitrateKbps: 8000,
          bandwidthKbps: 4400,
          sourceVideoResolution: '1080',
          streamVideoResolution: '720',
          sourceVideoCodec: 'h264',
          streamVideoCodec: 'h264',
          sourceAudioCodec: 'ac3',
          streamAudioCodec: 'ac3',
          container: 'mp4',
        },
      },
    ]);
  });

  it('maps direct play on the LAN, paused, and music without video', async () => {
    const film = plex
      .startSession({ user: alice, item: dune, device: DEVICES.tv(), ip: '192.168.1.20', lan: true, positionMs: 1000 })
      .pause();
    const music = plex.startSession({ user: bob, item: song, device: DEVICES.phone(), ip: '198.51.100.4' });
    const { sessions } = await client().sessions();
    film.stop();
    music.stop();
    const byItem = Object.fromEntries(sessions.map((s) => [s.media.itemId, s]));
    expect(byItem['5001']).toMatchObject({
      playState: 'PAUSED',
      networkLocation: 'LAN',
      clientIp: '192.168.1.20',
      quality: {
        videoDecision: 'DIRECT_PLAY',
        audioDecision: 'DIRECT_PLAY',
        isTranscode: false,
        sourceVideoResolution: '4k',
        streamVideoResolution: '4k',
        sourceVideoCodec: 'hevc',
        bandwidthKbps: 26_400,
      },
    });
    expect(byItem['7001']).toMatchObject({
      userName: 'bob <script>',
      media: { mediaType: 'TRACK', grandparentTitle: 'Radiohead' },
      quality: { videoDecision: 'NONE', sourceVideoResolution: null, streamAudioCodec: 'flac' },
    });
  });

  it('reports an entry without Player as skipped, with its session key, and keeps the others', async () => {
    const a = plex.startSession({ user: alice, item: dune, device: DEVICES.tv(), ip: '203.0.113.1' });
    const b = plex.startSession({ user: bob, item: ep, device: DEVICES.phone(), ip: '203.0.113.2' });
    plex.fail('partial-entry');
    const snapshot = await client().sessions();
    a.stop();
    b.stop();
    expect(snapshot.skipped).toEqual([{ sessionKey: a.key, reason: `session ${a.key} has no Player` }]);
    expect(snapshot.sessions.map((s) => s.sessionKey)).toEqual([b.key]);
  });

  it('takes the source quality of the version played, not the first version of the item', async () => {
    const twoCopies = movie('5201', 'Two copies', {
      videoCodec: 'hevc',
      videoHeight: 2160,
      audioCodec: 'truehd',
      bitrateKbps: 58_000,
      libraryId: '99',
      versions: [{ videoCodec: 'h264', videoHeight: 1080, audioCodec: 'eac3', bitrateKbps: 10_000 }],
    });
    plex.addItems([twoCopies]);
    const s = plex.startSession({
      user: alice,
      item: twoCopies,
      device: DEVICES.tv('tv-7'),
      ip: '203.0.113.9',
      version: 1,
    });
    const [played] = (await client().sessions()).sessions;
    s.stop();
    expect(played!.quality).toMatchObject({
      sourceVideoResolution: '1080',
      sourceVideoCodec: 'h264',
      sourceAudioCodec: 'eac3',
      sourceBitrateKbps: 10_000,
    });
  });

  it("records each item's poster: a film's own, a track's album art, none for an item without art", async () => {
    const bare = movie('5401', 'No art', { libraryId: '99', noArt: true });
    plex.addItems([bare]);
    const started = [dune, song, bare].map((item, n) =>
      plex.startSession({ user: alice, item, device: DEVICES.tv(`tv-art-${n}`), ip: '203.0.113.20' }),
    );
    const { sessions } = await client().sessions();
    for (const s of started) s.stop();
    const version = Math.floor(dune.addedAt / 1000);
    expect(Object.fromEntries(sessions.map((s) => [s.media.title, s.media.imageRef]))).toEqual({
      Dune: `/library/metadata/5001/thumb/${version}`,
      Airbag: `/library/metadata/7001/thumb/${version}`,
      'No art': null,
    });
    const films = await client().libraryItems(MOVIES.id, 0, 1);
    expect(films.items[0]!.imageRef).toBe(`/library/metadata/5001/thumb/${version}`);
  });

  it("skips theme music played while a show's page is open", async () => {
    const theme = plex.startSession({
      user: alice,
      item: ep,
      device: DEVICES.tv('tv-8'),
      ip: '203.0.113.9',
      theme: true,
    });
    const film = plex.startSession({ user: bob, item: dune, device: DEVICES.tv('tv-9'), ip: '203.0.113.10' });
    const snapshot = await client().sessions();
    theme.stop();
    film.stop();
    expect(snapshot.sessions.map((x) => x.sessionKey)).toEqual([film.key]);
    expect(snapshot.skipped).toEqual([]);
  });

  it('does not ask for the metadata of live TV, nor again for an item that has none', async () => {
    const channel = movie('5301', 'Channel 4', { live: true, libraryId: '99' });
    plex.addItems([channel]);
    const gone = movie('5302', 'Deleted since', { libraryId: '99' });
    const live = plex.startSession({ user: alice, item: channel, device: DEVICES.tv('tv-10'), ip: '203.0.113.9' });
    const deleted = plex.startSession({ user: bob, item: gone, device: DEVICES.tv('tv-11'), ip: '203.0.113.10' });
    plex.items.splice(plex.items.indexOf(gone), 1);
    const c = client();
    const before = plex.requests.length;
    for (let i = 0; i < 3; i++) expect((await c.sessions()).sessions).toHaveLength(2);
    live.stop();
    deleted.stop();
    const lookups = plex.requests.slice(before).filter((r) => r.path.startsWith('/library/metadata/'));
    expect(lookups.map((r) => r.path)).toEqual(['/library/metadata/5302']);
  });

  it('lists the server accounts without the system account', async () => {
    expect((await client().users()).map((u) => [u.userId, u.userName])).toEqual([
      ['42', 'alice'],
      ['43', 'bob <script>'],
    ]);
  });

  it('reads the newest resource sample', async () => {
    expect(await client().resources()).toEqual({
      processCpuPercent: 11.25,
      hostCpuPercent: 23.5,
      processMemoryPercent: 4.8,
      hostMemoryPercent: 61.2,
    });
  });

  it('pages through a library section', async () => {
    const c = client();
    expect((await c.libraries()).map((l) => [l.libraryId, l.kind])).toEqual([
      ['1', 'movie'],
      ['2', 'show'],
      ['3', 'artist'],
    ]);
    const first = await c.libraryItems('1', 0, 5);
    const second = await c.libraryItems('1', 5, 5);
    expect(first.total).toBe(8);
    expect(first.items).toHaveLength(5);
    expect([...first.items, ...second.items].map((i) => i.itemId)).toEqual([
      '5001',
      ...Array.from({ length: 7 }, (_, i) => String(5100 + i)),
    ]);
    expect(first.items[0]).toMatchObject({
      title: 'Dune',
      videoResolution: '4k',
      videoCodec: 'hevc',
      sizeBytes: 21_600_000_000,
      path: '/media/movies/Dune.mkv',
      addedAt: Date.UTC(2025, 0, 15),
    });
  });

  it("reads items' outside ids (Guid elements, asked for with includeGuids=1, and the agent guid) and episode numbers", async () => {
    const c = client();
    const [film] = (await c.libraryItems('1', 0, 1)).items;
    expect(film).toMatchObject({
      externalIds: ['imdb:tt1160419', 'plex:movie/5d776be17a53e9001e732ab9', 'tmdb:438631'],
      seasonNumber: null,
      episodeNumber: null,
    });
    expect((await c.libraryItems('1', 1, 1)).items[0]!.externalIds).toEqual([]); // local://: matched by title
    const [episodeItem] = (await c.libraryItems('2', 0, 1)).items;
    expect(episodeItem).toMatchObject({
      title: 'The Long Night',
      grandparentTitle: 'Westeros',
      seasonNumber: 8,
      episodeNumber: 3,
      externalIds: ['tvdb:121361/8/3', 'tvdb:6989573'],
    });
  });

  it('terminates a session by its Session.id with the reason', async () => {
    const s = plex.startSession({ user: alice, item: dune, device: DEVICES.tv(), ip: '203.0.113.9' });
    await client().terminate(s.id, 'Account sharing is not allowed');
    expect(plex.terminations.at(-1)).toMatchObject({ sessionId: s.id, reason: 'Account sharing is not allowed' });
    expect((await client().sessions()).sessions).toEqual([]);
  });

  it('sends the token and asks for JSON (Plex answers XML otherwise)', async () => {
    const xml = await fetch(`${plex.url}/status/sessions`, { headers: { 'X-Plex-Token': 'plex-token' } });
    expect(xml.headers.get('content-type')).toMatch(/xml/);
    const refused = await new PlexClient({ url: plex.url, token: 'wrong', clientId: 'x' })
      .sessions()
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ServerRequestError);
    expect((refused as ServerRequestError).reason).toBe('AUTH');
  });
});
