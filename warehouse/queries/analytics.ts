// Long-range analytics, read from the 15-minute rollups of migrations/0008 and their coarser
// companions (0017, 0019). A play counts from its start, running or not, on the day it started in
// the filters' time zone; its watch time counts when it ends (README, "What counts as a play").
import type { Warehouse } from '../client.ts';
import { byMonths, filterParams, num, rows, where, type Filters } from './filters.ts';

export interface PlaysPoint {
  day: string;
  mediaType: string;
  plays: number;
  watchMs: number;
}

export interface Share {
  key: string;
  plays: number;
  watchMs: number;
}

export type ConcurrencyBucket = 'minute' | 'hour' | 'day';

/** The bucket that draws a period as a line: minutes up to 6 hours, hours up to 3 days, days beyond. */
const concurrencyBucket = (rangeMs: number): ConcurrencyBucket =>
  rangeMs <= 6 * 3_600_000 ? 'minute' : rangeMs <= 3 * 86_400_000 ? 'hour' : 'day';

/** The first `limit` rows of a ranked list (a query parameter); all of them without one. */
const limitClause = (limit: number | undefined) => (limit === undefined ? '' : 'LIMIT {limit:UInt32}');

export class Analytics {
  constructor(private readonly w: Warehouse) {}

  /**
   * The plays rollup for charts of plays: plays_15m has a row per account and period, so over
   * every account its account-free sums (plays_by_server_15m, migration 0019) are far fewer rows.
   */
  private playsTable(f: Filters): string {
    return this.w.table(f.accountKeys?.length ? 'plays_15m' : 'plays_by_server_15m');
  }

  async playsOverTime(f: Filters): Promise<PlaysPoint[]> {
    const list = await rows<Record<string, string>>(
      this.w,
      `SELECT toString(toDate(period_start, {tz:String})) AS day_text, media_type, sum(plays) AS plays, sum(watch_ms) AS watch_ms
       FROM ${this.playsTable(f)} WHERE ${where('period_start', '15m', f, { accounts: true })}
       GROUP BY day_text, media_type ORDER BY day_text, media_type`,
      filterParams(f),
    );
    return list.map((r) => ({
      day: r.day_text!,
      mediaType: r.media_type!,
      plays: num(r.plays),
      watchMs: num(r.watch_ms),
    }));
  }

  /** Plays by day of week (1 = Monday) and hour of day, in the filters' time zone. */
  async heatmap(f: Filters): Promise<Array<{ dayOfWeek: number; hour: number; plays: number; watchMs: number }>> {
    const list = await rows<Record<string, string>>(
      this.w,
      `SELECT toDayOfWeek(period_start, 0, {tz:String}) AS dow, toHour(period_start, {tz:String}) AS h, sum(plays) AS plays, sum(watch_ms) AS watch_ms
       FROM ${this.playsTable(f)} WHERE ${where('period_start', '15m', f, { accounts: true })}
       GROUP BY dow, h ORDER BY dow, h`,
      filterParams(f),
    );
    return list.map((r) => ({ dayOfWeek: num(r.dow), hour: num(r.h), plays: num(r.plays), watchMs: num(r.watch_ms) }));
  }

  /** Transcode, direct stream and direct play. */
  async streamDecisions(f: Filters): Promise<Share[]> {
    const [r] = await rows<Record<string, string>>(
      this.w,
      `SELECT sum(transcode_plays) AS t, sum(direct_stream_plays) AS ds, sum(direct_play_plays) AS dp
       FROM ${this.playsTable(f)} WHERE ${where('period_start', '15m', f, { accounts: true })}`,
      filterParams(f),
    );
    const quality = await rows<Record<string, string>>(
      this.w,
      `SELECT multiIf(video_decision = 'TRANSCODE' OR audio_decision = 'TRANSCODE', 'TRANSCODE', video_decision = 'DIRECT_STREAM', 'DIRECT_STREAM', 'DIRECT_PLAY') AS k, sum(watch_ms) AS watch_ms
       FROM ${this.w.table('stream_quality_15m')} WHERE ${where('period_start', '15m', f)} GROUP BY k`,
      filterParams(f),
    );
    const watch = (k: string) => num(quality.find((q) => q.k === k)?.watch_ms);
    return [
      { key: 'TRANSCODE', plays: num(r?.t), watchMs: watch('TRANSCODE') },
      { key: 'DIRECT_STREAM', plays: num(r?.ds), watchMs: watch('DIRECT_STREAM') },
      { key: 'DIRECT_PLAY', plays: num(r?.dp), watchMs: watch('DIRECT_PLAY') },
    ];
  }

  /** Source -> stream pairs of one quality dimension: resolution, video codec or audio codec. */
  async qualityPairs(
    f: Filters,
    dimension: 'resolution' | 'videoCodec' | 'audioCodec',
    limit?: number,
  ): Promise<Array<{ source: string; stream: string; plays: number; watchMs: number }>> {
    const [source, stream] = {
      resolution: ['source_video_resolution', 'stream_video_resolution'],
      videoCodec: ['source_video_codec', 'stream_video_codec'],
      audioCodec: ['source_audio_codec', 'stream_audio_codec'],
    }[dimension];
    const list = await rows<Record<string, string>>(
      this.w,
      `SELECT ${source} AS source, ${stream} AS stream, sum(plays) AS plays, sum(watch_ms) AS watch_ms
       FROM ${this.w.table('stream_quality_15m')} WHERE ${where('period_start', '15m', f)}
       GROUP BY source, stream ORDER BY plays DESC, source, stream ${limitClause(limit)}`,
      { ...filterParams(f), ...(limit === undefined ? {} : { limit }) },
    );
    return list.map((r) => ({ source: r.source!, stream: r.stream!, plays: num(r.plays), watchMs: num(r.watch_ms) }));
  }

  /** Plays by platform, client application or player, with distinct devices and accounts. */
  async clients(
    f: Filters,
    by: 'platform' | 'product' | 'player',
    limit?: number,
  ): Promise<Array<Share & { devices: number; accounts: number }>> {
    const list = await rows<Record<string, string>>(
      this.w,
      `SELECT ${by} AS k, sum(plays) AS plays, sum(watch_ms) AS watch_ms, uniqMerge(devices) AS devices, uniqMerge(accounts) AS accounts
       FROM ${this.w.table('clients_15m')} WHERE ${where('period_start', '15m', f)}
       GROUP BY k ORDER BY plays DESC, k ${limitClause(limit)}`,
      { ...filterParams(f), ...(limit === undefined ? {} : { limit }) },
    );
    return list.map((r) => ({
      key: r.k!,
      plays: num(r.plays),
      watchMs: num(r.watch_ms),
      devices: num(r.devices),
      accounts: num(r.accounts),
    }));
  }

  async topUsers(
    f: Filters,
    limit = 10,
    orderBy: 'plays' | 'watchMs' = 'plays',
  ): Promise<Array<{ accountKey: string; userName: string; plays: number; watchMs: number }>> {
    // Whole months from account_plays_monthly: plays_15m holds a row per account and period (migration 0019).
    const periods = byMonths(
      'account_key, plays, watch_ms',
      this.w.table('plays_15m'),
      this.w.table('account_plays_monthly'),
      f,
      { accounts: true },
    );
    const list = await rows<Record<string, string>>(
      this.w,
      `SELECT p.account_key AS account_key, any(a.user_name) AS user_name, sum(p.plays) AS plays, sum(p.watch_ms) AS watch_ms
       FROM (SELECT account_key, sum(plays) AS plays, sum(watch_ms) AS watch_ms FROM (${periods.sql}) GROUP BY account_key) AS p
       LEFT JOIN (SELECT account_key, anyLast(user_name) AS user_name FROM ${this.w.table('accounts')} GROUP BY account_key) AS a USING (account_key)
       GROUP BY account_key ORDER BY ${orderBy === 'plays' ? 'plays' : 'watch_ms'} DESC, account_key LIMIT {limit:UInt32}`,
      { ...periods.params, limit },
    );
    return list.map((r) => ({
      accountKey: r.account_key!,
      userName: r.user_name ?? '',
      plays: num(r.plays),
      watchMs: num(r.watch_ms),
    }));
  }

  /**
   * Titles by plays: a series, artist or film, one line whatever the servers it was played on (a
   * series or artist by its name, a film by its name and year).
   */
  async topTitles(
    f: Filters,
    limit = 10,
    mediaTypes: string[] = [],
  ): Promise<
    Array<{
      titleKey: string;
      title: string;
      mediaType: string;
      year: number | null;
      servers: string[];
      plays: number;
      watchMs: number;
      users: number;
    }>
  > {
    // Whole months from titles_monthly: titles_15m holds about a row per play (migration 0017).
    const periods = byMonths(
      'server_id, title_key, media_type, title, year, plays, watch_ms, accounts',
      this.w.table('titles_15m'),
      this.w.table('titles_monthly'),
      f,
    );
    const list = await rows<Record<string, unknown>>(
      this.w,
      `SELECT concat(media_type, '|', lowerUTF8(trimBoth(title)), if(media_type IN ('EPISODE', 'TRACK'), '', concat('|', ifNull(toString(year), '')))) AS key,
              media_type, argMin(title, server_id) AS shown_title, if(media_type IN ('EPISODE', 'TRACK'), NULL, any(year)) AS shown_year,
              arraySort(groupUniqArray(server_id)) AS servers, sum(plays) AS plays, sum(watch_ms) AS watch_ms, uniqMerge(accounts) AS users
       FROM (SELECT server_id, title_key, media_type, anyLast(title) AS title, anyLast(year) AS year, sum(plays) AS plays, sum(watch_ms) AS watch_ms,
                    uniqMergeState(accounts) AS accounts
             FROM (${periods.sql}) WHERE empty({types:Array(String)}) OR has({types:Array(String)}, media_type)
             GROUP BY server_id, title_key, media_type)
       GROUP BY key, media_type ORDER BY plays DESC, key LIMIT {limit:UInt32}`,
      { ...periods.params, limit, types: mediaTypes },
    );
    return list.map((r) => ({
      titleKey: String(r.key),
      title: String(r.shown_title),
      mediaType: String(r.media_type),
      year: r.shown_year === null ? null : num(r.shown_year),
      servers: r.servers as string[],
      plays: num(r.plays),
      watchMs: num(r.watch_ms),
      users: num(r.users),
    }));
  }

  /** Highest number of streams seen at once per day of the time zone (all selected servers together). */
  /**
   * Peak concurrent streams per minute, hour or day of the filters' time zone: by default the
   * bucket fits the period (minutes up to 6 hours, hours up to 3 days, days beyond), so a first
   * day or an evening is a line, not one point.
   */
  async concurrencyPeaks(
    f: Filters,
    bucket: ConcurrencyBucket = concurrencyBucket(f.to - f.from),
  ): Promise<Array<{ period: string; day: string; peakStreams: number; peakTranscodes: number }>> {
    const local = 'toTimeZone(minute, {tz:String})';
    const period = { minute: local, hour: `toStartOfHour(${local})`, day: `toDate(minute, {tz:String})` }[bucket];
    const list = await rows<Record<string, string>>(
      this.w,
      `SELECT ${period} AS period_at, toString(toDate(minute, {tz:String})) AS day_text, max(streams) AS peak, max(transcodes) AS peak_t FROM (
         SELECT minute, sum(s) AS streams, sum(t) AS transcodes FROM (
           SELECT minute, server_id, uniqMerge(streams) AS s, uniqMerge(transcodes) AS t
           FROM ${this.w.table('concurrency_minutely')} WHERE ${where('minute', 'minute', f)} GROUP BY minute, server_id)
         GROUP BY minute)
       GROUP BY period_at, day_text ORDER BY period_at`,
      filterParams(f),
    );
    return list.map((r) => ({
      period: r.period_at!,
      day: r.day_text!,
      peakStreams: num(r.peak),
      peakTranscodes: num(r.peak_t),
    }));
  }

  /**
   * Server bandwidth per minute, hour or day of the filters' time zone (the sum over the selected
   * servers of each one's average and peak), bucketed as the concurrency peaks are: minutes (from
   * the raw samples) up to 6 hours, hours up to 3 days, days beyond (from the hourly rollup).
   * `hour` repeats `period` for clients written when this was hourly only.
   */
  async bandwidth(
    f: Filters,
    bucket: ConcurrencyBucket = concurrencyBucket(f.to - f.from),
  ): Promise<Array<{ period: string; hour: string; avgKbps: number; peakKbps: number; wanAvgKbps: number }>> {
    const perServer =
      bucket === 'minute'
        ? `SELECT toStartOfMinute(sampled_at) AS at, server_id, avg(total_bandwidth_kbps) AS avg_kbps, max(total_bandwidth_kbps) AS max_kbps, avg(wan_bandwidth_kbps) AS wan_avg
           FROM ${this.w.table('server_metrics')} WHERE ${where('sampled_at', 'time', f)} GROUP BY at, server_id`
        : `SELECT hour AS at, server_id, sum(bandwidth_kbps_sum) / sum(samples) AS avg_kbps, max(bandwidth_kbps_max) AS max_kbps, sum(wan_bandwidth_kbps_sum) / sum(samples) AS wan_avg
           FROM ${this.w.table('server_metrics_hourly')} WHERE ${where('hour', 'hour', f)} GROUP BY at, server_id`;
    const period = bucket === 'day' ? 'toDate(at, {tz:String})' : 'toTimeZone(at, {tz:String})';
    const list = await rows<Record<string, string>>(
      this.w,
      // Per bucket of the servers' sum: the average of the sums, the highest peak sum.
      `SELECT ${period} AS period_at, avg(avg_kbps) AS avg_kbps, max(max_kbps) AS max_kbps, avg(wan_avg) AS wan_avg FROM (
         SELECT at, sum(avg_kbps) AS avg_kbps, sum(max_kbps) AS max_kbps, sum(wan_avg) AS wan_avg FROM (${perServer}) GROUP BY at)
       GROUP BY period_at ORDER BY period_at`,
      filterParams(f),
    );
    return list.map((r) => ({
      period: r.period_at!,
      hour: r.period_at!,
      avgKbps: Math.round(num(r.avg_kbps)),
      peakKbps: num(r.max_kbps),
      wanAvgKbps: Math.round(num(r.wan_avg)),
    }));
  }

  /** Data streamed per day (bitrate x watch time, counted on the day the play started), in kilobits. */
  async streamedData(f: Filters): Promise<Array<{ day: string; kilobits: number }>> {
    const list = await rows<Record<string, string>>(
      this.w,
      `SELECT toString(toDate(period_start, {tz:String})) AS day_text, sum(streamed_kbit) AS kbit FROM ${this.playsTable(f)}
       WHERE ${where('period_start', '15m', f, { accounts: true })} GROUP BY day_text ORDER BY day_text`,
      filterParams(f),
    );
    return list.map((r) => ({ day: r.day_text!, kilobits: num(r.kbit) }));
  }

  async geography(
    f: Filters,
    by: 'country' | 'city',
    limit?: number,
  ): Promise<
    Array<{
      countryCode: string;
      region: string;
      city: string;
      latitude: number | null;
      longitude: number | null;
      plays: number;
      watchMs: number;
      users: number;
    }>
  > {
    const keys = by === 'country' ? 'country_code' : 'country_code, region, city';
    const list = await rows<Record<string, string | number | null>>(
      this.w,
      `SELECT ${keys}, ${by === 'country' ? "'' AS region, '' AS city, NULL AS lat, NULL AS lon" : 'anyLast(latitude) AS lat, anyLast(longitude) AS lon'},
              sum(plays) AS plays, sum(watch_ms) AS watch_ms, uniqMerge(accounts) AS users
       FROM ${this.w.table('geo_15m')} WHERE ${where('period_start', '15m', f)}
       GROUP BY ${keys} ORDER BY plays DESC, ${keys} ${limitClause(limit)}`,
      { ...filterParams(f), ...(limit === undefined ? {} : { limit }) },
    );
    return list.map((r) => ({
      countryCode: String(r.country_code),
      region: String(r.region ?? ''),
      city: String(r.city ?? ''),
      latitude: r.lat === null ? null : Number(r.lat),
      longitude: r.lon === null ? null : Number(r.lon),
      plays: num(r.plays),
      watchMs: num(r.watch_ms),
      users: num(r.users),
    }));
  }
}
