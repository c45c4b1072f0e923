import { describe, expect, it } from 'vitest';
import type { PlaybackEvent } from '../schemas/index.ts';
import { generateHistory, historyGeolocate } from '../testing/history.ts';
import { warehouseWithHistory, type TestWarehouse } from '../testing/load-history.ts';
import { Analytics, SessionQueries, type Filters } from './queries/index.ts';

const history = generateHistory({ seed: 7, plays: 320, livePlays: 4 });
const range: Filters = { from: Date.UTC(2026, 9, 1), to: history.end };
const tz = 'Asia/Kolkata';
let warehouse: TestWarehouse;
warehouseWithHistory(history, (w) => (warehouse = w));

const day = (ms: number, timeZone = 'UTC') => new Intl.DateTimeFormat('en-CA', { timeZone }).format(ms);
/** Day of week (1 = Monday) and hour of `ms` in the zone. */
function weekHour(ms: number, timeZone: string): [number, number] {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: 'numeric', hourCycle: 'h23' });
  const get = (type: string) => parts.formatToParts(ms).find((p) => p.type === type)!.value;
  return [['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(get('weekday')) + 1, Number(get('hour'))];
}
const startOf = (e: PlaybackEvent) => e.playStartedAt!;
/**
 * The README's definition of a play: every play counts from its start (its STARTED event, running
 * or not); its watch time counts once it has stopped (its STOPPED event).
 */
function tally<K>(key: (e: PlaybackEvent) => K) {
  const out = new Map<K, { plays: number; watchMs: number; accounts: Set<string>; devices: Set<string> }>();
  const entry = (k: K) => {
    const found = out.get(k) ?? { plays: 0, watchMs: 0, accounts: new Set(), devices: new Set() };
    out.set(k, found);
    return found;
  };
  for (const play of history.plays) {
    const start = play.events[0]!;
    const counted = entry(key(start));
    counted.plays++;
    counted.accounts.add(start.accountKey);
    counted.devices.add(start.device.deviceId);
    if (!play.live) entry(key(play.last)).watchMs += play.last.playedMs ?? 0;
  }
  return out;
}
const byPlaysThenKey =
  <T extends { plays: number }>(key: (t: T) => string) =>
  (a: T, b: T) =>
    b.plays - a.plays || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

describe('warehouse analytics over a known history', () => {
  const analytics = () => new Analytics(warehouse);

  it('stores every event once', async () => {
    const result = await warehouse.client.query({
      query: `SELECT count() AS n, uniqExact(event_id) AS u FROM ${warehouse.table('playback_events')}`,
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([{ n: String(history.events.length), u: String(history.events.length) }]);
  });

  it.each(['UTC', tz])('plays and watch time per day (%s) and media type', async (timeZone) => {
    const expected = [...tally((e) => `${day(startOf(e), timeZone)}|${e.media.mediaType}`)]
      .map(([k, v]) => ({ day: k.split('|')[0]!, mediaType: k.split('|')[1]!, plays: v.plays, watchMs: v.watchMs }))
      .sort((a, b) => (a.day + a.mediaType < b.day + b.mediaType ? -1 : 1));
    expect(await analytics().playsOverTime({ ...range, timeZone })).toEqual(expected);
  });

  it('filters by server and account, running plays counted', async () => {
    const { accountKey, serverId } = history.plays.find((p) => p.live)!;
    const mine = history.plays.filter((p) => p.accountKey === accountKey && p.serverId === serverId);
    const points = await analytics().playsOverTime({ ...range, serverIds: [serverId], accountKeys: [accountKey] });
    expect(points.reduce((n, p) => n + p.plays, 0)).toBe(mine.length);
    expect(points.reduce((n, p) => n + p.watchMs, 0)).toBe(
      mine.filter((p) => !p.live).reduce((n, p) => n + (p.last.playedMs ?? 0), 0),
    );
  });

  it('hour of day by day of week, in the time zone', async () => {
    const expected = [...tally((e) => weekHour(startOf(e), tz).join('|'))]
      .map(([k, v]) => ({
        dayOfWeek: Number(k.split('|')[0]),
        hour: Number(k.split('|')[1]),
        plays: v.plays,
        watchMs: v.watchMs,
      }))
      .sort((a, b) => a.dayOfWeek - b.dayOfWeek || a.hour - b.hour);
    expect(await analytics().heatmap({ ...range, timeZone: tz })).toEqual(expected);
  });

  it('transcode, direct stream and direct play', async () => {
    const kind = (e: PlaybackEvent) =>
      e.quality.isTranscode
        ? 'TRANSCODE'
        : e.quality.videoDecision === 'DIRECT_STREAM'
          ? 'DIRECT_STREAM'
          : 'DIRECT_PLAY';
    const t = tally<string>(kind);
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
      const expected = [...tally((e) => `${source(e) ?? ''}>${stream(e) ?? ''}`)]
        .map(([k, v]) => ({ source: k.split('>')[0]!, stream: k.split('>')[1]!, plays: v.plays, watchMs: v.watchMs }))
        .sort(byPlaysThenKey((x) => `${x.source}\u0000${x.stream}`));
      expect(await analytics().qualityPairs(range, dimension), dimension).toEqual(expected);
    }
  });

  it('platforms, with distinct devices and accounts', async () => {
    const expected = [...tally((e) => e.device.platform)]
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
    const users = [...tally((e) => e.accountKey)]
      .map(([accountKey, v]) => ({
        accountKey,
        userName: `user${accountKey.split(':')[1]}`,
        plays: v.plays,
        watchMs: v.watchMs,
      }))
      .sort(byPlaysThenKey((x) => x.accountKey));
    expect(await analytics().topUsers(range, 5)).toEqual(users.slice(0, 5));
    // One line per series, artist or film across servers: the generated history plays the same
    // items on both of its servers.
    const series = (e: PlaybackEvent) => e.media.mediaType === 'EPISODE' || e.media.mediaType === 'TRACK';
    const titleOf = (e: PlaybackEvent) => e.media.grandparentTitle ?? e.media.title;
    const keyOf = (e: PlaybackEvent) =>
      `${e.media.mediaType}|${titleOf(e).toLowerCase()}${series(e) ? '' : `|${e.media.year ?? ''}`}`;
    const servers = new Map<string, Set<string>>();
    for (const p of history.plays)
      servers.set(keyOf(p.events[0]!), (servers.get(keyOf(p.events[0]!)) ?? new Set()).add(p.serverId));
    const sample = new Map(history.plays.map((p) => [keyOf(p.events[0]!), p.events[0]!]));
    const titles = [...tally(keyOf)]
      .map(([key, v]) => ({
        titleKey: key,
        title: titleOf(sample.get(key)!),
        mediaType: sample.get(key)!.media.mediaType,
        year: series(sample.get(key)!) ? null : (sample.get(key)!.media.year ?? null),
        servers: [...servers.get(key)!].sort(),
        plays: v.plays,
        watchMs: v.watchMs,
        users: v.accounts.size,
      }))
      .sort(byPlaysThenKey((x) => x.titleKey));
    expect(titles.some((t) => t.servers.length > 1)).toBe(true);
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

    // A short period is drawn by the hour (by the minute under 6 hours), not as one point a day.
    const hour = (minute: number) => new Date(Math.floor(minute / 60) * 3_600_000).toISOString().replace('.000Z', 'Z');
    const lastDay = Math.floor(history.end / 60_000) - 2 * 24 * 60;
    const hourly = new Map<string, number>();
    for (const [minute, plays] of perMinute)
      if (minute >= lastDay) hourly.set(hour(minute), Math.max(hourly.get(hour(minute)) ?? 0, plays.size));
    const twoDays = await analytics().concurrencyPeaks({ from: lastDay * 60_000, to: history.end });
    expect(twoDays.map((r) => [r.period, r.peakStreams])).toEqual([...hourly].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    expect(twoDays.length).toBeGreaterThan(2);
    const byMinute = await analytics().concurrencyPeaks({ from: history.end - 3_600_000, to: history.end });
    expect(byMinute.every((r) => /:\d\d:00Z$/.test(r.period))).toBe(true);
  });

  it('server bandwidth per minute, hour or day, the bucket fitting the period by default', async () => {
    /** Per bucket: each server's samples, summed over servers as (average, peak), unrounded. */
    const buckets = (size: number, from = 0) => {
      const out = new Map<number, Map<string, number[]>>();
      for (const m of history.metrics) {
        if (m.sampledAt < from) continue;
        const at = m.sampledAt - (m.sampledAt % size);
        const servers = out.get(at) ?? new Map<string, number[]>();
        servers.set(m.serverId, [...(servers.get(m.serverId) ?? []), m.totalBandwidthKbps]);
        out.set(at, servers);
      }
      return [...out]
        .sort((a, b) => a[0] - b[0])
        .map(([at, servers]) => ({
          at,
          avg: [...servers.values()].reduce((sum, list) => sum + list.reduce((a, b) => a + b, 0) / list.length, 0),
          peak: [...servers.values()].reduce((sum, list) => sum + Math.max(...list), 0),
        }));
    };
    const text = (at: number) => new Date(at).toISOString().replace('.000Z', 'Z');
    const hourly = buckets(3_600_000);
    const byHour = await analytics().bandwidth(range, 'hour');
    expect(byHour.map(({ period, avgKbps, peakKbps }) => ({ period, avgKbps, peakKbps }))).toEqual(
      hourly.map((h) => ({ period: text(h.at), avgKbps: Math.round(h.avg), peakKbps: h.peak })),
    );
    expect(byHour.every((r) => r.hour === r.period)).toBe(true);

    // A month: one point a day, the average of its hours and the highest peak.
    const days = new Map<string, Array<{ avg: number; peak: number }>>();
    for (const h of hourly) days.set(text(h.at).slice(0, 10), [...(days.get(text(h.at).slice(0, 10)) ?? []), h]);
    const byDay = await analytics().bandwidth(range);
    expect(byDay.map(({ period, avgKbps, peakKbps }) => ({ period, avgKbps, peakKbps }))).toEqual(
      [...days].map(([day, list]) => ({
        period: day,
        avgKbps: Math.round(list.reduce((n, h) => n + h.avg, 0) / list.length),
        peakKbps: Math.max(...list.map((h) => h.peak)),
      })),
    );

    // The last two hours: from the samples, minute by minute.
    const from = history.end - 2 * 3_600_000;
    const byMinute = await analytics().bandwidth({ from, to: history.end });
    const minutes = buckets(60_000, from);
    expect(byMinute.map(({ period, avgKbps, peakKbps }) => ({ period, avgKbps, peakKbps }))).toEqual(
      minutes.map((m) => ({ period: text(m.at), avgKbps: Math.round(m.avg), peakKbps: m.peak })),
    );
    expect(byMinute.length).toBeGreaterThan(2);
  });

  it('geography by country', async () => {
    const expected = [...tally((e) => historyGeolocate(e.clientIp)?.countryCode ?? '')]
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

    // One account's history, paged: the same plays, in the same order and with the same fields, as
    // the whole history gives them.
    const whole = new Map((await sessions.history(range, { limit: 500 })).sessions.map((s) => [s.sessionKey, s]));
    const byAccount = new Map<string, string[]>();
    for (const key of expected) {
      const account = whole.get(key)!.accountKey;
      byAccount.set(account, [...(byAccount.get(account) ?? []), key]);
    }
    const accounts = [...byAccount].sort((a, b) => b[1].length - a[1].length).slice(0, 3);
    expect(accounts[0]![1].length).toBeGreaterThan(7);
    for (const [account, keys] of accounts) {
      const pages: Array<ReturnType<typeof whole.get>> = [];
      let next: string | null = null;
      do {
        const page = await sessions.history({ ...range, accountKeys: [account] }, { limit: 3, cursor: next });
        pages.push(...page.sessions);
        next = page.nextCursor;
      } while (next);
      expect(pages.map((s) => s!.sessionKey)).toEqual(keys);
      expect(pages).toEqual(keys.map((k) => whole.get(k)));
    }
    expect((await sessions.history({ ...range, accountKeys: ['plex-home:nobody'] }, { limit: 3 })).sessions).toEqual(
      [],
    );

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
