import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlaybackEvent } from '../schemas/index.ts';
import { generateHistory, historyGeolocate } from '../testing/history.ts';
import { loadHistory } from '../testing/load-history.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { Analytics, SessionQueries, type Filters } from './queries/index.ts';

const history = generateHistory({ seed: 7, plays: 320, livePlays: 4 });
const range: Filters = { from: Date.UTC(2026, 9, 1), to: history.end };
const stopped = history.plays.filter((p) => !p.live).map((p) => p.last);
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
let loaded: Awaited<ReturnType<typeof loadHistory>>;

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const startOf = (e: PlaybackEvent) => e.playStartedAt!;
function tally<K>(items: PlaybackEvent[], key: (e: PlaybackEvent) => K) {
  const out = new Map<K, { plays: number; watchMs: number; accounts: Set<string>; devices: Set<string> }>();
  for (const e of items) {
    const entry = out.get(key(e)) ?? { plays: 0, watchMs: 0, accounts: new Set(), devices: new Set() };
    entry.plays++;
    entry.watchMs += e.playedMs ?? 0;
    entry.accounts.add(e.accountKey);
    entry.devices.add(e.device.deviceId);
    out.set(key(e), entry);
  }
  return out;
}
const byPlaysThenKey =
  <T extends { plays: number }>(key: (t: T) => string) =>
  (a: T, b: T) =>
    b.plays - a.plays || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  loaded = await loadHistory(warehouse, history);
}, 120_000);

afterAll(async () => {
  await loaded?.close();
  await warehouse?.drop();
});

describe('warehouse analytics over a known history', () => {
  const analytics = () => new Analytics(warehouse);

  it('stores every event once', async () => {
    const result = await warehouse.client.query({
      query: `SELECT count() AS n, uniqExact(event_id) AS u FROM ${warehouse.table('playback_events')}`,
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([{ n: String(history.events.length), u: String(history.events.length) }]);
  });

  it('plays and watch time per day and media type', async () => {
    const expected = [...tally(stopped, (e) => `${day(startOf(e))}|${e.media.mediaType}`)]
      .map(([k, v]) => ({ day: k.split('|')[0]!, mediaType: k.split('|')[1]!, plays: v.plays, watchMs: v.watchMs }))
      .sort((a, b) => (a.day + a.mediaType < b.day + b.mediaType ? -1 : 1));
    expect(await analytics().playsOverTime(range)).toEqual(expected);
  });

  it('filters by server and account', async () => {
    const account = stopped[0]!.accountKey;
    const mine = stopped.filter((e) => e.accountKey === account && e.serverId === stopped[0]!.serverId);
    const points = await analytics().playsOverTime({
      ...range,
      serverIds: [stopped[0]!.serverId],
      accountKeys: [account],
    });
    expect(points.reduce((n, p) => n + p.plays, 0)).toBe(mine.length);
    expect(points.reduce((n, p) => n + p.watchMs, 0)).toBe(mine.reduce((n, e) => n + (e.playedMs ?? 0), 0));
  });

  it('hour of day by day of week', async () => {
    const expected = [
      ...tally(stopped, (e) => `${new Date(startOf(e)).getUTCDay() || 7}|${new Date(startOf(e)).getUTCHours()}`),
    ]
      .map(([k, v]) => ({
        dayOfWeek: Number(k.split('|')[0]),
        hour: Number(k.split('|')[1]),
        plays: v.plays,
        watchMs: v.watchMs,
      }))
      .sort((a, b) => a.dayOfWeek - b.dayOfWeek || a.hour - b.hour);
    expect(await analytics().heatmap(range)).toEqual(expected);
  });

  it('transcode, direct stream and direct play', async () => {
    const kind = (e: PlaybackEvent) =>
      e.quality.isTranscode
        ? 'TRANSCODE'
        : e.quality.videoDecision === 'DIRECT_STREAM'
          ? 'DIRECT_STREAM'
          : 'DIRECT_PLAY';
    const t = tally<string>(stopped, kind);
    expect(await analytics().streamDecisions(range)).toEqual(
      ['TRANSCODE', 'DIRECT_STREAM', 'DIRECT_PLAY'].map((key) => ({
        key,
        plays: t.get(key)?.plays ?? 0,
        watchMs: t.get(key)?.watchMs ?? 0,
      })),
    );
  });

  it('resolutions and codecs, source against stream', async () => {
    for (const [dimension, source, stream] of [
      [
        'resolution',
        (e: PlaybackEvent) => e.quality.sourceVideoResolution,
        (e: PlaybackEvent) => e.quality.streamVideoResolution,
      ],
      [
        'videoCodec',
        (e: PlaybackEvent) => e.quality.sourceVideoCodec,
        (e: PlaybackEvent) => e.quality.streamVideoCodec,
      ],
      [
        'audioCodec',
        (e: PlaybackEvent) => e.quality.sourceAudioCodec,
        (e: PlaybackEvent) => e.quality.streamAudioCodec,
      ],
    ] as const) {
      const expected = [...tally(stopped, (e) => `${source(e) ?? ''}>${stream(e) ?? ''}`)]
        .map(([k, v]) => ({ source: k.split('>')[0]!, stream: k.split('>')[1]!, plays: v.plays, watchMs: v.watchMs }))
        .sort(byPlaysThenKey((x) => `${x.source}\u0000${x.stream}`));
      expect(await analytics().qualityPairs(range, dimension), dimension).toEqual(expected);
    }
  });

  it('platforms, with distinct devices and accounts', async () => {
    const expected = [...tally(stopped, (e) => e.device.platform)]
      .map(([key, v]) => ({
        key,
        plays: v.plays,
        watchMs: v.watchMs,
        devices: v.devices.size,
        accounts: v.accounts.size,
      }))
      .sort(byPlaysThenKey((x) => x.key));
    expect(await analytics().clients(range, 'platform')).toEqual(expected);
  });

  it('top users and top titles', async () => {
    const users = [...tally(stopped, (e) => e.accountKey)]
      .map(([accountKey, v]) => ({
        accountKey,
        userName: `user${accountKey.split(':')[1]}`,
        plays: v.plays,
        watchMs: v.watchMs,
      }))
      .sort(byPlaysThenKey((x) => x.accountKey));
    expect(await analytics().topUsers(range, 5)).toEqual(users.slice(0, 5));
    const titles = [
      ...tally(
        stopped,
        (e) =>
          `${e.media.grandparentItemId ?? e.media.itemId}|${e.media.mediaType}|${e.media.grandparentTitle ?? e.media.title}`,
      ),
    ]
      .map(([k, v]) => ({
        titleKey: k.split('|')[0]!,
        title: k.split('|')[2]!,
        mediaType: k.split('|')[1]!,
        plays: v.plays,
        watchMs: v.watchMs,
        users: v.accounts.size,
      }))
      .sort(byPlaysThenKey((x) => x.titleKey));
    expect(await analytics().topTitles(range, 4)).toEqual(titles.slice(0, 4));
  });

  it('concurrent streams peak per day', async () => {
    const perMinute = new Map<number, Set<string>>();
    for (const e of history.events) {
      if (e.eventType === 'STOPPED') continue;
      const minute = Math.floor(e.observedAt / 60_000);
      perMinute.set(minute, (perMinute.get(minute) ?? new Set()).add(`${e.serverId}/${e.sessionKey}`));
    }
    const peaks = new Map<string, number>();
    for (const [minute, plays] of perMinute)
      peaks.set(day(minute * 60_000), Math.max(peaks.get(day(minute * 60_000)) ?? 0, plays.size));
    const result = await analytics().concurrencyPeaks(range);
    expect(result.map((r) => [r.day, r.peakStreams])).toEqual([...peaks].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    expect(result.every((r) => r.peakTranscodes <= r.peakStreams)).toBe(true);
  });

  it('server bandwidth per hour', async () => {
    const hours = new Map<number, Map<string, number[]>>();
    for (const m of history.metrics) {
      const hour = m.sampledAt - (m.sampledAt % 3_600_000);
      const servers = hours.get(hour) ?? new Map<string, number[]>();
      servers.set(m.serverId, [...(servers.get(m.serverId) ?? []), m.totalBandwidthKbps]);
      hours.set(hour, servers);
    }
    const expected = [...hours]
      .sort((a, b) => a[0] - b[0])
      .map(([hour, servers]) => ({
        hour: new Date(hour).toISOString().replace('T', ' ').slice(0, 19),
        avgKbps: Math.round(
          [...servers.values()].reduce((sum, list) => sum + list.reduce((a, b) => a + b, 0) / list.length, 0),
        ),
        peakKbps: [...servers.values()].reduce((sum, list) => sum + Math.max(...list), 0),
      }));
    const result = await analytics().bandwidth(range);
    expect(result.map(({ hour, avgKbps, peakKbps }) => ({ hour, avgKbps, peakKbps }))).toEqual(expected);
  });

  it('geography by country', async () => {
    const expected = [...tally(stopped, (e) => historyGeolocate(e.clientIp)?.countryCode ?? '')]
      .map(([countryCode, v]) => ({ countryCode, plays: v.plays, watchMs: v.watchMs, users: v.accounts.size }))
      .sort(byPlaysThenKey((x) => x.countryCode));
    const result = await analytics().geography(range, 'country');
    expect(result.map(({ countryCode, plays, watchMs, users }) => ({ countryCode, plays, watchMs, users }))).toEqual(
      expected,
    );
    const cities = await analytics().geography(range, 'city');
    expect(cities.find((c) => c.city === 'London')).toMatchObject({
      countryCode: 'GB',
      latitude: 51.5072,
      longitude: -0.1276,
    });
  });

  it('live sessions and today at a glance', async () => {
    const now = history.end - 1;
    const sessions = new SessionQueries(warehouse);
    const live = history.plays.filter((p) => p.live);
    const active = await sessions.active(now);
    expect(active.map((s) => s.sessionKey).sort()).toEqual(live.map((p) => p.sessionKey).sort());
    const dayStart = now - (now % 86_400_000);
    const today = history.plays.filter((p) => p.startedAt >= dayStart && p.startedAt <= now);
    const overview = await sessions.overview(now);
    expect(overview).toMatchObject({
      streamsNow: live.length,
      transcodesNow: live.filter((p) => p.last.quality.isTranscode).length,
      bandwidthNowKbps: live.reduce((n, p) => n + (p.last.quality.bandwidthKbps ?? 0), 0),
      playsToday: today.length,
      totalUsers: new Set(history.events.map((e) => e.accountKey)).size,
    });
  });

  it('pages through the history newest first and searches it', async () => {
    const sessions = new SessionQueries(warehouse);
    const expected = [...history.plays]
      .sort(
        (a, b) =>
          b.startedAt - a.startedAt ||
          (b.serverId < a.serverId ? -1 : b.serverId > a.serverId ? 1 : b.sessionKey < a.sessionKey ? -1 : 1),
      )
      .map((p) => p.sessionKey);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await sessions.history(range, { limit: 37, cursor });
      seen.push(...page.sessions.map((s) => s.sessionKey));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expected);
    const found = await sessions.history(range, { search: 'radiohead', limit: 500 });
    expect(found.sessions.map((s) => s.sessionKey).sort()).toEqual(
      history.plays
        .filter((p) => p.last.media.grandparentTitle === 'Radiohead')
        .map((p) => p.sessionKey)
        .sort(),
    );
    await expect(sessions.history(range, { cursor: 'bm90LWEtY3Vyc29y' })).rejects.toThrow(/invalid history cursor/);
  });
});
