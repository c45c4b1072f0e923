// Plays themselves: what is on now, today's figures, and the paged history.
import { AppError } from '../../core/errors.ts';
import { checkTimeZone, startOfDay } from '../../core/time-zone.ts';
import type { Warehouse } from '../client.ts';
import { chTime } from '../rows.ts';
import { filterParams, num, rows, where, type Filters } from './filters.ts';

/** A play still going on has no stop and was seen within this long (connectors report each play at least every minute). */
export const ACTIVE_WITHIN_MS = 5 * 60_000;

export interface NowFigures {
  streamsNow: number;
  transcodesNow: number;
  bandwidthNowKbps: number;
}

export interface TodayFigures {
  playsToday: number;
  watchMsToday: number;
  usersToday: number;
  totalUsers: number;
}

/** The overview's figures of what plays now, from the plays going on (the warehouse's or the live state's). */
export function nowFigures(active: ReadonlyArray<{ isTranscode: boolean; bandwidthKbps: number | null }>): NowFigures {
  return {
    streamsNow: active.length,
    transcodesNow: active.filter((s) => s.isTranscode).length,
    bandwidthNowKbps: active.reduce((sum, s) => sum + (s.bandwidthKbps ?? 0), 0),
  };
}

export interface SessionRow {
  serverId: string;
  accountKey: string;
  sessionKey: string;
  startedAt: string;
  lastSeenAt: string;
  stoppedAt: string | null;
  state: string;
  userName: string;
  title: string;
  grandparentTitle: string;
  mediaType: string;
  deviceName: string;
  player: string;
  platform: string;
  clientIp: string;
  countryCode: string;
  city: string;
  playedMs: number;
  positionMs: number;
  durationMs: number | null;
  videoDecision: string;
  isTranscode: boolean;
  bitrateKbps: number | null;
  bandwidthKbps: number | null;
  streamVideoResolution: string;
  serverType: string;
  deviceId: string;
  product: string;
  region: string;
  latitude: number | null;
  longitude: number | null;
  audioDecision: string;
  sourceVideoResolution: string;
  sourceVideoCodec: string;
  streamVideoCodec: string;
  sourceAudioCodec: string;
  streamAudioCodec: string;
  year: number | null;
  seasonNumber: number | null;
  episodeNumber: number | null;
  networkLocation: string;
  pausedMs: number;
  transcodeHardware: boolean | null;
  transcodeAccelerator: string;
  transcodeReasons: string[];
  container: string;
  productVersion: string;
  /** The poster's reference for the image proxy; empty when none. */
  imageRef: string;
}

// Times are read as text under other names: an alias equal to a column would shadow it in WHERE.
const COLUMNS = `server_id, account_key, session_key, started_at AS started_text, last_seen_at AS last_seen_text,
  if(isNull(stopped_at), NULL, stopped_at) AS stopped_text, state, user_name, title, grandparent_title, media_type,
  device_name, player, platform, client_ip, country_code, city, played_ms, position_ms, duration_ms, video_decision,
  is_transcode, bitrate_kbps, bandwidth_kbps, stream_video_resolution, server_type, device_id, product, region, latitude, longitude,
  audio_decision, source_video_resolution, source_video_codec, stream_video_codec, source_audio_codec, stream_audio_codec, year, season_number, episode_number,
  network_location, paused_ms, transcode_hardware, transcode_accelerator, transcode_reasons, container, product_version, image_ref`;

function toSession(r: Record<string, unknown>): SessionRow {
  return {
    serverId: String(r.server_id),
    accountKey: String(r.account_key),
    sessionKey: String(r.session_key),
    startedAt: String(r.started_text),
    lastSeenAt: String(r.last_seen_text),
    stoppedAt: r.stopped_text === null ? null : String(r.stopped_text),
    state: String(r.state),
    userName: String(r.user_name),
    title: String(r.title),
    grandparentTitle: String(r.grandparent_title),
    mediaType: String(r.media_type),
    deviceName: String(r.device_name),
    player: String(r.player),
    platform: String(r.platform),
    clientIp: String(r.client_ip),
    countryCode: String(r.country_code),
    city: String(r.city),
    playedMs: num(r.played_ms),
    positionMs: num(r.position_ms),
    durationMs: r.duration_ms === null ? null : num(r.duration_ms),
    videoDecision: String(r.video_decision),
    isTranscode: r.is_transcode === true || r.is_transcode === 1,
    bitrateKbps: r.bitrate_kbps === null ? null : num(r.bitrate_kbps),
    bandwidthKbps: r.bandwidth_kbps === null ? null : num(r.bandwidth_kbps),
    streamVideoResolution: String(r.stream_video_resolution),
    serverType: String(r.server_type),
    deviceId: String(r.device_id),
    product: String(r.product),
    region: String(r.region),
    latitude: r.latitude === null ? null : Number(r.latitude),
    longitude: r.longitude === null ? null : Number(r.longitude),
    audioDecision: String(r.audio_decision),
    sourceVideoResolution: String(r.source_video_resolution),
    sourceVideoCodec: String(r.source_video_codec),
    streamVideoCodec: String(r.stream_video_codec),
    sourceAudioCodec: String(r.source_audio_codec),
    streamAudioCodec: String(r.stream_audio_codec),
    year: r.year === null ? null : num(r.year),
    seasonNumber: r.season_number === null ? null : num(r.season_number),
    episodeNumber: r.episode_number === null ? null : num(r.episode_number),
    networkLocation: String(r.network_location),
    pausedMs: num(r.paused_ms),
    transcodeHardware:
      r.transcode_hardware === null ? null : r.transcode_hardware === true || r.transcode_hardware === 1,
    transcodeAccelerator: String(r.transcode_accelerator),
    transcodeReasons: Array.isArray(r.transcode_reasons) ? r.transcode_reasons.map(String) : [],
    container: String(r.container),
    productVersion: String(r.product_version),
    imageRef: String(r.image_ref ?? ''),
  };
}

/**
 * What a history page may be narrowed to, by the columns the analytics panels group plays by, so
 * that a panel's row opens the plays it counted.
 */
export const HISTORY_FILTERS = {
  mediaType: 'media_type',
  platform: 'platform',
  product: 'product',
  player: 'player',
  country: 'country_code',
  city: 'city',
  sourceResolution: 'source_video_resolution',
  streamResolution: 'stream_video_resolution',
  sourceVideoCodec: 'source_video_codec',
  streamVideoCodec: 'stream_video_codec',
  sourceAudioCodec: 'source_audio_codec',
  streamAudioCodec: 'stream_audio_codec',
} as const;

/** How a play was delivered as a whole, as the decisions panel counts it. */
export const DELIVERIES = ['TRANSCODE', 'DIRECT_STREAM', 'DIRECT_PLAY'] as const;
const DELIVERY = `multiIf(is_transcode, 'TRANSCODE', video_decision = 'DIRECT_STREAM', 'DIRECT_STREAM', 'DIRECT_PLAY')`;

/** A title as the top-titles panel groups it: a series or album across its episodes, a film with its year. */
const TITLE_KEY = `concat(media_type, '|', lowerUTF8(trimBoth(if(grandparent_title != '', grandparent_title, title))), if(media_type IN ('EPISODE', 'TRACK'), '', concat('|', ifNull(toString(year), ''))))`;

export type HistoryFilter = Partial<Record<keyof typeof HISTORY_FILTERS, string>> & {
  delivery?: (typeof DELIVERIES)[number];
  /** The `titleKey` of a top-titles row. */
  titleKey?: string;
};

function historyConditions(filter: HistoryFilter): { sql: string; params: Record<string, string> } {
  const conditions: string[] = [];
  const params: Record<string, string> = {};
  for (const [name, column] of Object.entries(HISTORY_FILTERS)) {
    const value = filter[name as keyof typeof HISTORY_FILTERS];
    if (value === undefined) continue;
    conditions.push(`${column} = {h_${name}:String}`);
    params[`h_${name}`] = value;
  }
  if (filter.delivery) {
    conditions.push(`${DELIVERY} = {h_delivery:String}`);
    params.h_delivery = filter.delivery;
  }
  if (filter.titleKey) {
    conditions.push(`${TITLE_KEY} = {h_title:String}`);
    params.h_title = filter.titleKey;
  }
  return { sql: conditions.map((c) => `AND ${c}`).join(' '), params };
}

export interface HistoryPage {
  sessions: SessionRow[];
  /** Pass back to get the next page; null on the last page. */
  nextCursor: string | null;
}

function encodeCursor(s: SessionRow): string {
  return Buffer.from(JSON.stringify([s.startedAt, s.serverId, s.sessionKey])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === 'string'))
      return value as [string, string, string];
  } catch {
    // fall through
  }
  throw new AppError('invalid', 'invalid history cursor');
}

export class SessionQueries {
  constructor(private readonly w: Warehouse) {}

  /** One play, by server and session key. */
  async one(serverId: string, sessionKey: string): Promise<SessionRow | null> {
    const [row] = await rows<Record<string, unknown>>(
      this.w,
      `SELECT ${COLUMNS} FROM ${this.w.table('sessions')} FINAL WHERE server_id = {server:String} AND session_key = {key:String} ORDER BY started_at DESC LIMIT 1`,
      { server: serverId, key: sessionKey },
    );
    return row ? toSession(row) : null;
  }

  /** What the play went through: every observation's place, state and quality, in order. */
  async timeline(serverId: string, sessionKey: string): Promise<Array<Record<string, unknown>>> {
    return rows(
      this.w,
      `SELECT toUnixTimestamp64Milli(observed_at) AS at, event_type AS eventType, play_state AS state, position_ms AS positionMs, client_ip AS clientIp,
              country_code AS countryCode, city, latitude, longitude, video_decision AS videoDecision, stream_video_resolution AS resolution, bandwidth_kbps AS bandwidthKbps
       FROM ${this.w.table('playback_events')} WHERE server_id = {server:String} AND session_key = {key:String}
       ORDER BY observed_at LIMIT 2000`,
      { server: serverId, key: sessionKey },
    );
  }

  /** Where plays came from in the range: one point per place, weighted by plays (map and heatmap). */
  async places(
    f: Filters,
    limit = 5000,
  ): Promise<
    Array<{ latitude: number; longitude: number; city: string; countryCode: string; plays: number; users: number }>
  > {
    const list = await rows<Record<string, unknown>>(
      this.w,
      `SELECT round(latitude, 2) AS lat, round(longitude, 2) AS lon, any(city) AS city_name, any(country_code) AS country, count() AS plays, uniqExact(account_key) AS users
       FROM ${this.w.table('sessions')} FINAL
       WHERE ${where('started_at', 'time', f, { accounts: true })} AND isNotNull(latitude) AND isNotNull(longitude)
       GROUP BY lat, lon ORDER BY plays DESC LIMIT {limit:UInt32}`,
      { ...filterParams(f), limit },
    );
    return list.map((r) => ({
      latitude: Number(r.lat),
      longitude: Number(r.lon),
      city: String(r.city_name),
      countryCode: String(r.country),
      plays: num(r.plays),
      users: num(r.users),
    }));
  }

  /** Plays going on at `now`. */
  async active(now = Date.now(), serverIds: string[] = []): Promise<SessionRow[]> {
    const list = await rows<Record<string, unknown>>(
      this.w,
      `SELECT ${COLUMNS} FROM ${this.w.table('sessions')} FINAL
       WHERE isNull(stopped_at) AND last_seen_at >= {since:DateTime64(3)} AND (empty({servers:Array(String)}) OR has({servers:Array(String)}, server_id))
       ORDER BY started_at DESC, server_id, session_key`,
      { since: chTime(now - ACTIVE_WITHIN_MS), servers: serverIds },
    );
    return list.map(toSession);
  }

  /** What is on now, and the plays of the viewer's day so far (running ones included). */
  async overview(now = Date.now(), serverIds: string[] = [], timeZone = 'UTC'): Promise<NowFigures & TodayFigures> {
    return { ...nowFigures(await this.active(now, serverIds)), ...(await this.today(now, serverIds, timeZone)) };
  }

  /** The plays of the viewer's day so far, running ones included, and the accounts ever seen. */
  async today(now = Date.now(), serverIds: string[] = [], timeZone = 'UTC'): Promise<TodayFigures> {
    const today: Filters = { from: startOfDay(now, checkTimeZone(timeZone)), to: now + 1, serverIds, timeZone };
    // The rollup analytics read, so that "today" here and the same day there are one number.
    const [counts] = await rows<Record<string, string>>(
      this.w,
      `SELECT sum(plays) AS plays, sum(watch_ms) AS watch_ms, uniqExact(account_key) AS users FROM ${this.w.table('plays_15m')}
       WHERE ${where('period_start', '15m', today)}`,
      filterParams(today),
    );
    const [users] = await rows<Record<string, string>>(
      this.w,
      `SELECT uniqExact(account_key) AS n FROM ${this.w.table('accounts')} WHERE (empty({servers:Array(String)}) OR has({servers:Array(String)}, server_id))`,
      { servers: serverIds },
    );
    return {
      playsToday: num(counts?.plays),
      watchMsToday: num(counts?.watch_ms),
      usersToday: num(counts?.users),
      totalUsers: num(users?.n),
    };
  }

  /**
   * Plays started in the range, newest first, paged by cursor; `search` matches title, series, user
   * and device, `filter` narrows to one value of the analytics panels' columns.
   */
  async history(
    f: Filters,
    opts: { limit?: number; cursor?: string | null; search?: string; filter?: HistoryFilter } = {},
  ): Promise<HistoryPage> {
    const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
    const after = opts.cursor ? decodeCursor(opts.cursor) : null;
    const narrowed = historyConditions(opts.filter ?? {});
    // Some accounts' plays are read from the copy ordered by account (migration 0018): from
    // `sessions`, ordered by server and split by month, they touch every part of every month.
    const table = f.accountKeys?.length ? 'sessions_by_account' : 'sessions';
    const list = await rows<Record<string, unknown>>(
      this.w,
      `SELECT ${COLUMNS} FROM ${this.w.table(table)} FINAL
       WHERE ${where('started_at', 'time', f, { accounts: true })}
         AND ({search:String} = '' OR positionCaseInsensitiveUTF8(concat(title, ' ', grandparent_title, ' ', user_name, ' ', device_name), {search:String}) > 0)
         ${narrowed.sql}
         AND ({has_cursor:Bool} = false OR (started_at, server_id, session_key) < (parseDateTime64BestEffort({c_started:String}, 3, 'UTC'), {c_server:String}, {c_key:String}))
       ORDER BY started_at DESC, server_id DESC, session_key DESC
       LIMIT {limit:UInt32}`,
      {
        ...filterParams(f),
        ...narrowed.params,
        search: opts.search?.trim() ?? '',
        has_cursor: after !== null,
        c_started: after?.[0] ?? '1970-01-01 00:00:00.000',
        c_server: after?.[1] ?? '',
        c_key: after?.[2] ?? '',
        limit: limit + 1,
      },
    );
    const sessions = list.slice(0, limit).map(toSession);
    return { sessions, nextCursor: list.length > limit ? encodeCursor(sessions[sessions.length - 1]!) : null };
  }
}
